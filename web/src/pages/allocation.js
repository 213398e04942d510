// Allocation (education officers): inventory upload with the intake check,
// previews (a background job) with results per area (table and chart),
// the explanation of every area's and school's share, per-school counts,
// commit with a confirmation, the handover list of a school (XLSX) and
// handovers, returns and cancellations per student. Viewers see counts
// only (the per-school student list is never requested for them).
import {Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip} from 'chart.js';
import {t, fmt, fmtDay, addStrings} from '../i18n.js';
import {get, post, pollJob, APIError} from '../api.js';
import {esc} from '../html.js';
import {renderDevices} from './devices.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

addStrings({
  'alloc.title': ['Phân bổ thiết bị và gói SIM', 'Allocation of devices and SIM packages'],
  'alloc.inventory': ['Nhập kho thiết bị và gói SIM', 'Inventory upload'],
  'alloc.inventory.help': ['Tệp CSV hoặc XLSX; tải lên một hoặc cả hai tệp. Có lỗi thì không ghi gì.', 'CSV or XLSX files; upload one or both. On any error nothing is written.'],
  'alloc.devices': ['Tệp thiết bị', 'Devices file'],
  'alloc.sims': ['Tệp gói SIM', 'SIM packages file'],
  'alloc.upload': ['Tải lên và kiểm tra', 'Upload and check'],
  'alloc.uploading': ['Đang tải lên…', 'Uploading…'],
  'alloc.nofile': ['Chọn ít nhất một tệp.', 'Choose at least one file.'],
  'alloc.rowerrors': ['Lỗi theo dòng và cột (không có gì được ghi)', 'Errors by row and column (nothing was written)'],
  'alloc.file': ['Tệp', 'File'],
  'alloc.row': ['Dòng', 'Row'],
  'alloc.column': ['Cột', 'Column'],
  'alloc.value': ['Giá trị', 'Value'],
  'alloc.reason': ['Lý do', 'Reason'],
  'alloc.check': ['Kết quả kiểm tra thiết bị', 'Device intake check'],
  'alloc.simcheck': ['Kết quả kiểm tra gói SIM', 'SIM package check'],
  'alloc.status.ok': ['Đạt', 'OK'],
  'alloc.status.repair': ['Cần sửa', 'Repair'],
  'alloc.status.liquidate': ['Thanh lý', 'Liquidate'],
  'alloc.sim.rejected': ['Không đạt', 'Rejected'],
  'alloc.device': ['Thiết bị', 'Device'],
  'alloc.type': ['Loại', 'Type'],
  'alloc.status': ['Kết quả', 'Result'],
  'alloc.reasons': ['Lý do', 'Reasons'],
  'alloc.package': ['Gói SIM', 'Package'],
  'alloc.operator': ['Nhà mạng', 'Operator'],
  'alloc.quantity': ['Số lượng', 'Quantity'],
  'alloc.runs': ['Các lượt phân bổ', 'Allocation runs'],
  'alloc.norun': ['Chưa có lượt phân bổ nào.', 'No allocation run yet.'],
  'alloc.preview': ['Chạy thử phân bổ', 'Preview an allocation'],
  'alloc.previewing': ['Đang chạy thử…', 'Previewing…'],
  'alloc.previewed': ['Chạy thử xong.', 'Preview done.'],
  'alloc.run': ['Lượt', 'Run'],
  'alloc.created': ['Thời gian', 'Created'],
  'alloc.actor': ['Người chạy', 'By'],
  'alloc.policy': ['Chính sách', 'Policy'],
  'alloc.runstatus': ['Trạng thái', 'Status'],
  'alloc.sims_n': ['SIM', 'SIMs'],
  'alloc.open': ['Xem', 'Open'],
  'alloc.rs.preview': ['Chạy thử', 'Preview'],
  'alloc.rs.committed': ['Đã chốt', 'Committed'],
  'alloc.rs.failed': ['Lỗi', 'Failed'],
  'alloc.selected': ['Lượt đang xem', 'Run shown'],
  'alloc.commit': ['Chốt phân bổ này', 'Commit this allocation'],
  'alloc.commit.title': ['Chốt phân bổ?', 'Commit the allocation?'],
  'alloc.commit.text': ['Chốt lượt chạy thử {run}: {devices} thiết bị và {sims} SIM sẽ được giao cho học sinh. Việc này không hoàn tác được (chỉ huỷ từng học sinh).', 'Commit preview run {run}: {devices} devices and {sims} SIMs will be given to students. This cannot be undone (only cancelled student by student).'],
  'alloc.confirm': ['Chốt', 'Commit'],
  'alloc.cancel': ['Thôi', 'Cancel'],
  'alloc.committed': ['Đã chốt: lượt {run}.', 'Committed: run {run}.'],
  'alloc.areas': ['Kết quả theo địa bàn', 'Results per area'],
  'alloc.area': ['Địa bàn', 'Area'],
  'alloc.needs': ['Nhu cầu', 'Needs'],
  'alloc.needs_t': ['Diện 1 / 2 / 3', 'Tier 1 / 2 / 3'],
  'alloc.allocated': ['Được phân bổ', 'Allocated'],
  'alloc.unmet': ['Còn thiếu', 'Unmet'],
  'alloc.stock': ['Tồn kho', 'Stock'],
  'alloc.total': ['Tổng', 'Total'],
  'alloc.chart': ['Nhu cầu và số được phân bổ theo địa bàn', 'Needs and allocated per area'],
  'alloc.explain': ['Giải thích phần được chia', 'How each share was decided'],
  'alloc.explain.help': ['Mỗi địa bàn chia thiết bị cho các địa bàn và trường bên dưới theo nhu cầu (trọng số, nhân hệ số vùng ưu tiên), phương pháp Sainte-Laguë, không vượt nhu cầu. Thứ tự nghiêm ngặt: chia riêng từng diện, diện 1 trước (cột Quy tắc ghi diện).', 'Each area shares its devices among the areas and schools below it by need (weight, times the priority-area weight), by the Sainte-Laguë method, never above the need. Strict tier order: one share per tier, tier 1 first (the Rule column names the tier).'],
  'alloc.from': ['Chia từ', 'From'],
  'alloc.unit': ['Đơn vị', 'Unit'],
  'alloc.kind.area': ['Địa bàn', 'Area'],
  'alloc.kind.school': ['Trường', 'School'],
  'alloc.weight': ['Trọng số', 'Weight'],
  'alloc.quota': ['Phần chính xác', 'Exact quota'],
  'alloc.held': ['Có sẵn', 'Held'],
  'alloc.seats': ['Được chia', 'Seats'],
  'alloc.cap': ['Trần', 'Cap'],
  'alloc.rule': ['Quy tắc', 'Rule'],
  'alloc.whole': ['Toàn bộ', 'Whole input'],
  'alloc.schools': ['Theo trường', 'Per school'],
  'alloc.school': ['Trường', 'School'],
  'alloc.pending': ['Chờ bàn giao', 'Pending'],
  'alloc.handed': ['Đã bàn giao', 'Handed over'],
  'alloc.returned': ['Đã thu hồi', 'Returned'],
  'alloc.unserved': ['Chưa được phân bổ', 'Waiting'],
  'alloc.handover.xlsx': ['Danh sách bàn giao (XLSX)', 'Handover list (XLSX)'],
  'alloc.students': ['Học sinh được phân bổ', 'Students served'],
  'alloc.waiting': ['Học sinh chờ', 'Students waiting'],
  'alloc.student': ['Học sinh', 'Student'],
  'alloc.tier': ['Diện', 'Tier'],
  'alloc.conn': ['Kết nối tại nhà', 'Home connectivity'],
  'alloc.sim': ['SIM', 'SIM'],
  'alloc.handover': ['Bàn giao', 'Handover'],
  'alloc.rank': ['Thứ tự', 'Rank'],
  'alloc.record': ['Ghi nhận bàn giao, thu hồi, huỷ', 'Record a handover, return or cancellation'],
  'alloc.action': ['Việc', 'Action'],
  'alloc.act.handover': ['Bàn giao (ICCID, ngày)', 'Handover (ICCID, date)'],
  'alloc.act.return': ['Thu hồi (lý do, ngày)', 'Return (reason, date)'],
  'alloc.act.cancel': ['Huỷ phân bổ (lý do)', 'Cancel (reason)'],
  'alloc.iccid': ['ICCID của SIM (19–20 chữ số)', 'SIM ICCID (19–20 digits)'],
  'alloc.date': ['Ngày', 'Date'],
  'alloc.save': ['Ghi nhận', 'Record'],
  'alloc.saved': ['Đã ghi nhận.', 'Recorded.'],
  'alloc.hs.pending': ['Chờ bàn giao', 'Pending'],
  'alloc.hs.handed_over': ['Đã bàn giao', 'Handed over'],
  'alloc.hs.returned': ['Đã thu hồi', 'Returned'],
  'alloc.back': ['Đóng trường', 'Close school'],
  'alloc.counts_only': ['Vai trò của bạn chỉ xem số liệu tổng hợp.', 'Your role sees counts only.'],
  'alloc.tierorder': ['Thứ tự ưu tiên', 'Tier order'],
  'alloc.to.strict': ['Nghiêm ngặt: diện 1 trên toàn tỉnh trước, rồi diện 2, rồi diện 3', 'Strict: tier 1 province-wide first, then tier 2, then tier 3'],
  'alloc.to.fair': ['Công bằng giữa địa bàn: chia theo nhu cầu có trọng số', 'Area-fair: shares by weighted need'],
  'alloc.to.short.strict': ['Nghiêm ngặt', 'Strict'],
  'alloc.to.short.fair': ['Công bằng giữa địa bàn', 'Area-fair'],
  'alloc.to.help': ['Nghiêm ngặt theo văn bản: "HSSV thuộc hộ nghèo, HSSV thuộc hộ cận nghèo, …"; thiết bị do trường hoặc địa bàn tự nhận vẫn dành cho học sinh của đơn vị đó trước.', 'Strict follows the documents: "poor households, near-poor households, …"; stock a school or area holds still serves its own students first.'],
  'alloc.equipped': ['Học sinh có thiết bị', 'Pupils equipped'],
  'alloc.equipped12': ['Diện 1–2 có thiết bị', 'Tier 1–2 equipped'],
  'alloc.without': ['Chưa có thiết bị (mọi diện)', 'Without a device (every tier)'],
  'alloc.sims3g': ['SIM 3G', '3G SIMs'],
  'alloc.sims3g.help': ['SIM của nhà mạng chỉ phủ 3G tại nhà học sinh (không có gói 4G phù hợp)', 'SIMs of an operator covering the home with 3G only (no 4G SIM fitted)'],
  'alloc.prio': ['Vùng ưu tiên', 'Priority area'],
  'alloc.prio.help': ['Nhãn của địa bàn và địa bàn cấp trên (miền núi, ven biển, phong toả) và hệ số nhân nhu cầu', 'The tags of the area and its parents (mountain, coastal, lockdown) and the weight multiplying its needs'],
  'alloc.tag.mountain': ['Miền núi', 'Mountain'],
  'alloc.tag.coastal': ['Ven biển', 'Coastal'],
  'alloc.tag.lockdown': ['Phong toả', 'Lockdown'],
  'alloc.ending': ['Gói SIM sắp hết hạn', 'SIMs ending soon'],
  'alloc.ending.help': ['SIM đã bàn giao có thời hạn dịch vụ (sau lần gia hạn cuối) kết thúc trong số ngày đã chọn, sớm nhất trước. Gia hạn lấy một SIM của gói từ kho và cộng thêm số tháng của gói từ ngày gia hạn hoặc ngày hết hạn hiện tại (ngày muộn hơn).', 'SIMs handed over whose service (after the last renewal) ends within the days chosen, soonest first. A renewal takes one SIM of the package from stock and adds the package\'s months from the renewal day or the current end, whichever is later.'],
  'alloc.ending.days': ['Hết hạn trong vòng (ngày)', 'Ending within (days)'],
  'alloc.ending.show': ['Xem danh sách', 'Show the list'],
  'alloc.ending.csv': ['Tải CSV', 'Download CSV'],
  'alloc.ending.xlsx': ['Tải XLSX', 'Download XLSX'],
  'alloc.ending.count': ['{n} SIM hết hạn từ {from} đến {to}.', '{n} SIMs end between {from} and {to}.'],
  'alloc.ending.none': ['Không có SIM nào hết hạn từ {from} đến {to}.', 'No SIM ends between {from} and {to}.'],
  'alloc.ending.school': ['Trường', 'School'],
  'alloc.ending.network': ['Mạng', 'Network'],
  'alloc.ending.activated': ['Kích hoạt', 'Activated'],
  'alloc.ending.ends': ['Hết hạn', 'Ends'],
  'alloc.ending.left': ['Còn (ngày)', 'Days left'],
  'alloc.ending.renewals': ['Đã gia hạn (lần)', 'Renewed (times)'],
  'alloc.ending.renew': ['Gia hạn', 'Renew'],
  'alloc.ending.renew.package': ['Gói SIM để gia hạn', 'SIM package for the renewal'],
  'alloc.ending.renew.date': ['Ngày gia hạn', 'Renewal day'],
  'alloc.ending.renewed': ['Đã gia hạn SIM của học sinh {student}: dịch vụ đến {ends}.', 'Renewed the SIM of student {student}: service until {ends}.'],
  'alloc.ending.renew.failed': ['Không gia hạn được SIM của học sinh {student}:', 'Could not renew the SIM of student {student}:'],
  'alloc.noschool': ['Chọn một trường trong bảng để xem học sinh và bàn giao.', 'Pick a school in the table for its students and handovers.'],
});

const today = () => new Date().toISOString().slice(0, 10);

let chart = null;
let alive = false;

export const allocationPage = {
  path: '#/allocation',
  nav: 'nav.allocation',
  // Viewers read counts only (runs, areas, shares, schools); operators never.
  roles: ['officer', 'planner', 'viewer'],
  async render(main, ctx) {
    alive = true;
    const role = ctx.user.role;
    const canUpload = role === 'officer' || role === 'admin';
    const canPreview = role !== 'viewer';
    const canCommit = role === 'officer' || role === 'admin';
    const canStudents = role !== 'viewer';
    main.innerHTML = `<div class="alloc">
      <h1 data-t="alloc.title"></h1>
      ${canUpload ? `<section class="card noprint" id="alloc-inv">
        <h2 data-t="alloc.inventory"></h2><p class="muted" data-t="alloc.inventory.help"></p>
        <form id="alloc-inv-form" class="alloc-form">
          <label for="alloc-devices" data-t="alloc.devices"></label><input type="file" id="alloc-devices" name="devices" accept=".csv,.xlsx,.gz">
          <label for="alloc-sims" data-t="alloc.sims"></label><input type="file" id="alloc-sims" name="sim_packages" accept=".csv,.xlsx,.gz">
          <button class="primary" type="submit" data-t="alloc.upload"></button>
        </form>
        <p id="alloc-inv-status" role="status"></p><div id="alloc-inv-result"></div></section>` : ''}
      <section class="card" id="alloc-runs-card">
        <div class="alloc-bar"><h2 data-t="alloc.runs"></h2>
        ${canPreview ? `<span class="alloc-preview-opts"><label for="alloc-tier-order" data-t="alloc.tierorder"></label>
          <select id="alloc-tier-order" title="${esc(t('alloc.to.help'))}"><option value="strict" data-t="alloc.to.strict"></option><option value="fair" data-t="alloc.to.fair"></option></select>
          <button class="primary" id="alloc-preview" data-t="alloc.preview"></button></span>` : ''}</div>
        <div id="alloc-job" role="status" aria-live="polite"></div>
        <div id="alloc-runs"><p class="muted" data-t="common.loading"></p></div>
      </section>
      <section id="alloc-run"></section>
      ${canCommit ? `<section class="card" id="alloc-ending-card"><h2 data-t="alloc.ending"></h2><p class="muted" data-t="alloc.ending.help"></p>
        <form id="alloc-ending-form" class="alloc-form noprint" novalidate>
          <label for="alloc-ending-days" data-t="alloc.ending.days"></label><input type="number" id="alloc-ending-days" min="0" max="3660" step="1" value="30" inputmode="numeric">
          <button class="primary" type="submit" data-t="alloc.ending.show"></button>
          <a class="button" id="alloc-ending-csv" download data-t="alloc.ending.csv"></a><a class="button" id="alloc-ending-xlsx" download data-t="alloc.ending.xlsx"></a></form>
        <div id="alloc-ending-error" role="alert"></div><p id="alloc-ending-status" role="status"></p>
        <div id="alloc-renew-result" role="status" aria-live="polite"></div>
        <div id="alloc-ending-list"></div></section>` : ''}
      ${canStudents ? `<div id="alloc-lifecycle"></div>` : ''}
    </div>`;
    ctx.translate(main);
    window.gapmap.alloc = {run: null};

    const runsBox = main.querySelector('#alloc-runs');
    const runBox = main.querySelector('#alloc-run');

    async function loadRuns(select) {
      const {runs} = await get('/api/v1/allocation/runs');
      if (!alive) return;
      if (!runs.length) { runsBox.innerHTML = `<p class="muted" id="alloc-norun">${t('alloc.norun')}</p>`; return; }
      runsBox.innerHTML = `<div class="alloc-scroll"><table id="alloc-runs-table"><thead><tr><th>${t('alloc.run')}</th><th>${t('alloc.created')}</th><th>${t('alloc.actor')}</th><th>${t('alloc.policy')}</th><th>${t('alloc.tierorder')}</th><th>${t('alloc.runstatus')}</th><th class="n">${t('alloc.device')}</th><th class="n">${t('alloc.sims_n')}</th><th></th></tr></thead><tbody>` +
        runs.map(r => `<tr data-run="${r.id}"><td>${r.id}</td><td>${esc(new Date(r.created_at).toLocaleString())}</td><td>${esc(r.actor)}</td><td>${esc(r.policy)}</td><td class="c-tier-order" data-order="${esc(r.settings?.tier_order || '')}">${r.settings?.tier_order ? esc(t('alloc.to.short.' + r.settings.tier_order)) : '–'}</td>` +
          `<td class="rs-${esc(r.status)}">${esc(t('alloc.rs.' + r.status))}</td><td class="n">${fmt(r.devices)}</td><td class="n">${fmt(r.sims)}</td>` +
          `<td>${r.status === 'failed' ? esc(r.error || '') : `<button class="alloc-open-run" data-run="${r.id}">${t('alloc.open')}</button>`}</td></tr>`).join('') +
        `</tbody></table></div>`;
      for (const b of runsBox.querySelectorAll('.alloc-open-run')) b.onclick = () => showRun(Number(b.dataset.run));
      const first = select || runs.find(r => r.status !== 'failed')?.id;
      if (first) await showRun(first);
    }

    async function showRun(id) {
      for (const tr of runsBox.querySelectorAll('tr[data-run]')) tr.classList.toggle('sel', Number(tr.dataset.run) === id);
      runBox.innerHTML = `<p class="card muted">${t('common.loading')}</p>`;
      const [one, areas, units, schools] = await Promise.all([
        get(`/api/v1/allocation/runs/${id}`), get(`/api/v1/allocation/runs/${id}/areas`),
        get(`/api/v1/allocation/runs/${id}/units`), get(`/api/v1/allocation/runs/${id}/schools`)]);
      if (!alive) return;
      const run = one.run;
      window.gapmap.alloc.run = run;
      const tot = areas.totals;
      // Priority tags and area weights: a column when the API gives them.
      const withPrio = areas.areas.some(a => a.priority_tags !== undefined || a.area_weight !== undefined);
      const prioText = (a) => a.code === 'total' ? '' : [...(a.priority_tags || []).map(g => esc(t('alloc.tag.' + g) === 'alloc.tag.' + g ? g : t('alloc.tag.' + g))),
        a.area_weight !== undefined && a.area_weight !== 1 ? `× ${fmt(a.area_weight, 2)}` : ''].filter(Boolean).join(', ') || '—';
      const depth = {};
      for (const a of areas.areas) depth[a.code] = a.parent_code && depth[a.parent_code] !== undefined ? depth[a.parent_code] + 1 : 0;
      const areaRow = (a, cls = '') => `<tr data-code="${esc(a.code)}" class="${cls}"><td style="padding-left:${0.6 + 1.2 * (depth[a.code] || 0)}rem">${esc(a.name || a.code)}</td>` +
        `<td class="n c-needs">${fmt(a.needs)}</td><td class="n">${fmt(a.needs_tier1)} / ${fmt(a.needs_tier2)} / ${fmt(a.needs_tier3)}</td>` +
        `<td class="n c-allocated">${fmt(a.allocated)}</td><td class="n c-unmet">${fmt(a.unmet)}</td><td class="n c-sims">${fmt(a.sims_given)}</td><td class="n c-sims3g">${fmt(a.sims_3g ?? 0)}</td><td class="n">${fmt(a.stock)}</td>` +
        (withPrio ? `<td class="c-prio" data-tags="${esc((a.priority_tags || []).join(' '))}" data-weight="${a.area_weight ?? ''}">${prioText(a)}</td>` : '') + `</tr>`;
      runBox.innerHTML = `<div class="card"><div class="alloc-bar"><h2>${t('alloc.selected')}: ${t('alloc.run')} <span id="alloc-run-id">${run.id}</span> · <span id="alloc-run-status" class="rs-${esc(run.status)}">${esc(t('alloc.rs.' + run.status))}</span></h2>
          ${canCommit && run.status === 'preview' ? `<button class="primary noprint" id="alloc-commit">${t('alloc.commit')}</button>` : ''}</div>
          <p id="alloc-commit-error" class="error" role="alert"></p>
          <p>${t('alloc.needs')}: <b id="alloc-total-needs">${fmt(tot.needs)}</b> · ${t('alloc.allocated')}: <b id="alloc-total-allocated">${fmt(tot.allocated)}</b> · ${t('alloc.unmet')}: <b>${fmt(tot.unmet)}</b> · ${t('alloc.sims_n')}: <b id="alloc-total-sims">${fmt(tot.sims_given)}</b> (<span title="${esc(t('alloc.sims3g.help'))}">${t('alloc.sims3g')}: <b id="alloc-total-sims3g">${fmt(tot.sims_3g ?? 0)}</b></span>)</p>
          <p>${t('alloc.tierorder')}: <b id="alloc-run-tier-order" data-order="${esc(run.settings?.tier_order || '')}">${run.settings?.tier_order ? esc(t('alloc.to.' + run.settings.tier_order)) : '–'}</b></p>
          <p>${t('alloc.without')}: <b id="alloc-total-without">${fmt(tot.pupils_without_device ?? 0)}</b> · ${t('alloc.equipped')}: <b id="alloc-total-equipped">${fmt(tot.equipped_pct ?? 0, 1)} %</b> · ${t('alloc.equipped12')}: <b id="alloc-total-equipped12">${fmt(tot.tier12_equipped_pct ?? 0, 1)} %</b></p></div>
        <div class="alloc-grid">
          <section class="card"><h2>${t('alloc.areas')}</h2><div class="alloc-scroll"><table id="alloc-areas"><thead><tr><th>${t('alloc.area')}</th><th class="n">${t('alloc.needs')}</th><th class="n">${t('alloc.needs_t')}</th><th class="n">${t('alloc.allocated')}</th><th class="n">${t('alloc.unmet')}</th><th class="n">${t('alloc.sims_n')}</th><th class="n" title="${esc(t('alloc.sims3g.help'))}">${t('alloc.sims3g')}</th><th class="n">${t('alloc.stock')}</th>${withPrio ? `<th title="${esc(t('alloc.prio.help'))}">${t('alloc.prio')}</th>` : ''}</tr></thead>
            <tbody>${areas.areas.map(a => areaRow(a)).join('')}</tbody><tfoot>${areaRow({...tot, code: 'total', name: t('alloc.total')}, 'total')}</tfoot></table></div></section>
          <section class="card"><h2>${t('alloc.chart')}</h2><div class="alloc-chart"><canvas id="alloc-chart" role="img" aria-label="${esc(t('alloc.chart'))}"></canvas></div></section>
        </div>
        <section class="card"><h2>${t('alloc.explain')}</h2><p class="muted">${t('alloc.explain.help')}</p><div class="alloc-scroll tall"><table id="alloc-units"><thead><tr><th>${t('alloc.from')}</th><th>${t('alloc.unit')}</th><th class="n">${t('alloc.weight')}</th><th class="n">${t('alloc.quota')}</th><th class="n">${t('alloc.held')}</th><th class="n">${t('alloc.seats')}</th><th class="n">${t('alloc.cap')}</th><th>${t('alloc.rule')}</th></tr></thead><tbody>` +
          units.units.map(u => `<tr data-kind="${esc(u.kind)}" data-code="${esc(u.code)}"><td>${esc(u.parent ? (u.parent_name || u.parent) : t('alloc.whole'))}</td><td>${esc(t('alloc.kind.' + u.kind))}: ${esc(u.name || u.code)}</td><td class="n">${fmt(u.weight, 2)}</td><td class="n">${fmt(u.quota, 2)}</td><td class="n">${fmt(u.held)}</td><td class="n"><b>${fmt(u.seats)}</b></td><td class="n">${fmt(u.cap)}</td><td>${u.tier ? `${t('alloc.tier')} ${u.tier}: ` : ''}${esc(u.rule)}${u.capped ? ' ✓' : ''}</td></tr>`).join('') +
          `</tbody></table></div></section>
        <section class="card"><h2>${t('alloc.schools')}</h2>${canStudents ? `<p class="muted">${t('alloc.noschool')}</p>` : `<p class="muted">${t('alloc.counts_only')}</p>`}<div class="alloc-scroll tall"><table id="alloc-schools"><thead><tr><th>${t('alloc.school')}</th><th>${t('alloc.area')}</th><th class="n">${t('alloc.allocated')}</th><th class="n">${t('alloc.sims_n')}</th><th class="n" title="${esc(t('alloc.sims3g.help'))}">${t('alloc.sims3g')}</th><th class="n">${t('alloc.pending')}</th><th class="n">${t('alloc.handed')}</th><th class="n">${t('alloc.returned')}</th><th class="n">${t('alloc.unserved')}</th><th></th></tr></thead><tbody>` +
          schools.schools.map(s => `<tr data-school="${esc(s.school_id)}"><td>${esc(s.name || s.school_id)}</td><td>${esc(s.area_code)}</td><td class="n">${fmt(s.allocated)}</td><td class="n c-sims">${fmt(s.sims)}</td><td class="n c-sims3g">${fmt(s.sims_3g ?? 0)}</td><td class="n">${fmt(s.pending)}</td><td class="n">${fmt(s.handed_over)}</td><td class="n">${fmt(s.returned)}</td><td class="n">${fmt(s.unserved)}</td>` +
            `<td>${canStudents ? `<button class="alloc-open-school" data-school="${esc(s.school_id)}">${t('alloc.open')}</button>` : ''}</td></tr>`).join('') +
          `</tbody></table></div></section>
        <section id="alloc-school"></section>
        <dialog id="alloc-dialog"><form method="dialog"><h2>${t('alloc.commit.title')}</h2>
          <p>${t('alloc.commit.text', {run: run.id, devices: fmt(tot.allocated), sims: fmt(tot.sims_given)})}</p>
          <p class="alloc-bar"><button value="cancel" id="alloc-dialog-cancel">${t('alloc.cancel')}</button><button value="ok" class="primary" id="alloc-confirm">${t('alloc.confirm')}</button></p></form></dialog>`;
      drawChart(areas);
      for (const b of runBox.querySelectorAll('.alloc-open-school')) b.onclick = () => showSchool(run, b.dataset.school);
      const commit = runBox.querySelector('#alloc-commit');
      if (commit) {
        const dlg = runBox.querySelector('#alloc-dialog');
        commit.onclick = () => dlg.showModal();
        dlg.onclose = async () => {
          if (dlg.returnValue !== 'ok') return;
          commit.disabled = true;
          const errBox = runBox.querySelector('#alloc-commit-error');
          errBox.textContent = '';
          try {
            const out = await post('/api/v1/allocation/commits', {preview_run_id: run.id});
            ctx.toast(t('alloc.committed', {run: out.run_id}));
            await loadRuns(out.run_id);
          } catch (err) {
            errBox.textContent = err.message;
            commit.disabled = false;
          }
        };
      }
    }

    function drawChart(areas) {
      chart?.destroy();
      // The areas just below the top one the caller sees (every other area
      // when that leaves too few).
      const codes = new Set(areas.areas.map(a => a.code));
      const top = areas.areas.find(a => !a.parent_code || !codes.has(a.parent_code));
      let list = areas.areas.filter(a => top && a.parent_code === top.code);
      if (list.length < 2) list = areas.areas.filter(a => a !== top);
      list = list.slice(0, 40);
      const canvas = runBox.querySelector('#alloc-chart');
      chart = new Chart(canvas, {
        type: 'bar',
        data: {labels: list.map(a => a.name || a.code), datasets: [
          {label: t('alloc.needs'), data: list.map(a => a.needs), backgroundColor: '#f59e0b'},
          {label: t('alloc.allocated'), data: list.map(a => a.allocated), backgroundColor: '#0b6bcb'}]},
        options: {animation: false, responsive: true, maintainAspectRatio: false, scales: {y: {beginAtZero: true}}},
      });
      window.gapmap.alloc.chart = chart;
    }

    async function showSchool(run, sid) {
      const box = runBox.querySelector('#alloc-school');
      box.innerHTML = `<p class="card muted">${t('common.loading')}</p>`;
      const s = await get(`/api/v1/allocation/runs/${run.id}/schools/${encodeURIComponent(sid)}`);
      if (!alive) return;
      const mine = (s.units || []).filter(u => u.kind === 'school' && u.code === sid);
      const hs = (a) => a.handover ? t('alloc.hs.' + a.handover.status) + (a.handover.sim_iccid ? ` · ${a.handover.sim_iccid}` : '') + (a.handover.handed_over_on ? ` · ${a.handover.handed_over_on.slice(0, 10)}` : '') + (a.handover.returned_on ? ` · ${a.handover.returned_on.slice(0, 10)}` : '') : '—';
      const committed = s.status === 'committed' || run.status === 'committed';
      box.innerHTML = `<div class="card" id="alloc-school-card" data-school="${esc(sid)}"><div class="alloc-bar"><h2>${esc(s.name)} <span class="muted">(${esc(sid)} · ${esc(s.area_code)})</span></h2>
          <a class="button" id="alloc-handover-xlsx" href="/api/v1/allocation/runs/${run.id}/schools/${encodeURIComponent(sid)}/handover.xlsx" download>${t('alloc.handover.xlsx')}</a>
          <button class="noprint" id="alloc-school-close">${t('alloc.back')}</button></div>
        ${mine.map(u => `<p class="muted">${t('alloc.from')} ${esc(u.parent)}: ${t('alloc.weight')} ${fmt(u.weight, 2)}, ${t('alloc.quota')} ${fmt(u.quota, 2)}, ${t('alloc.seats')} <b>${fmt(u.seats)}</b>, ${t('alloc.cap')} ${fmt(u.cap)} (${esc(u.rule)})</p>`).join('')}
        <h3>${t('alloc.students')} (${fmt(s.allocations.length)})</h3>
        <div class="alloc-scroll tall"><table id="alloc-students"><thead><tr><th>${t('alloc.student')}</th><th class="n">${t('alloc.tier')}</th><th>${t('alloc.conn')}</th><th>${t('alloc.device')}</th><th>${t('alloc.sim')}</th><th class="n">${t('alloc.rank')}</th><th>${t('alloc.reason')}</th><th>${t('alloc.handover')}</th></tr></thead><tbody>` +
          s.allocations.map(a => `<tr data-student="${esc(a.student_id)}"><td>${esc(a.student_id)}</td><td class="n">${a.priority}</td><td>${esc(a.connectivity)}</td><td>${esc(a.device_type)} ${esc(a.device_id)}</td><td>${esc(a.sim_operator || '')} ${esc(a.sim_package_id || '')}</td><td class="n">${a.rank}/${a.pool_size}</td><td>${esc(a.reason)}</td><td class="hs">${esc(hs(a))}</td></tr>`).join('') +
          `</tbody></table></div>
        <h3>${t('alloc.waiting')} (${fmt(s.unserved.length)})</h3>
        <div class="alloc-scroll"><table id="alloc-unserved"><thead><tr><th>${t('alloc.student')}</th><th class="n">${t('alloc.tier')}</th><th>${t('alloc.conn')}</th><th class="n">${t('alloc.rank')}</th><th>${t('alloc.reason')}</th></tr></thead><tbody>` +
          s.unserved.map(u => `<tr><td>${esc(u.student_id)}</td><td class="n">${u.priority}</td><td>${esc(u.connectivity)}</td><td class="n">${u.rank}/${u.pool_size}</td><td>${esc(u.reason)}</td></tr>`).join('') +
          `</tbody></table></div>
        ${committed && canCommit && s.allocations.length ? `<form id="alloc-record" class="alloc-form noprint"><h3>${t('alloc.record')}</h3>
          <label for="alloc-rec-student">${t('alloc.student')}</label><select id="alloc-rec-student">${s.allocations.map(a => `<option value="${esc(a.student_id)}">${esc(a.student_id)} — ${esc(hs(a))}</option>`).join('')}</select>
          <label for="alloc-rec-action">${t('alloc.action')}</label><select id="alloc-rec-action"><option value="handover">${t('alloc.act.handover')}</option><option value="return">${t('alloc.act.return')}</option><option value="cancel">${t('alloc.act.cancel')}</option></select>
          <label for="alloc-rec-iccid" class="f-handover">${t('alloc.iccid')}</label><input id="alloc-rec-iccid" class="f-handover" inputmode="numeric" autocomplete="off">
          <label for="alloc-rec-reason" class="f-reason">${t('alloc.reason')}</label><input id="alloc-rec-reason" class="f-reason">
          <label for="alloc-rec-date" class="f-date">${t('alloc.date')}</label><input id="alloc-rec-date" class="f-date" type="date" value="${today()}">
          <button class="primary" type="submit">${t('alloc.save')}</button>
          <div id="alloc-rec-error" class="error" role="alert"></div></form>` : ''}
      </div>`;
      box.querySelector('#alloc-school-close').onclick = () => { box.replaceChildren(); };
      const form = box.querySelector('#alloc-record');
      if (form) {
        const action = form.querySelector('#alloc-rec-action');
        const sync = () => {
          const a = action.value;
          for (const el of form.querySelectorAll('.f-handover')) el.hidden = a !== 'handover';
          for (const el of form.querySelectorAll('.f-reason')) el.hidden = a === 'handover';
          for (const el of form.querySelectorAll('.f-date')) el.hidden = a === 'cancel';
        };
        action.onchange = sync; sync();
        form.onsubmit = async (ev) => {
          ev.preventDefault();
          const errBox = form.querySelector('#alloc-rec-error');
          errBox.textContent = '';
          const a = action.value;
          const student = form.querySelector('#alloc-rec-student').value;
          const body = {};
          if (a === 'handover') body.iccid = form.querySelector('#alloc-rec-iccid').value.trim();
          if (a !== 'handover') body.reason = form.querySelector('#alloc-rec-reason').value.trim();
          if (a !== 'cancel') body.date = form.querySelector('#alloc-rec-date').value;
          try {
            await post(`/api/v1/allocation/students/${encodeURIComponent(student)}/${a}`, body);
            ctx.toast(t('alloc.saved'));
            await showSchool(run, sid);
            box.querySelector('#alloc-rec-student').value = student;
          } catch (err) {
            showAPIError(errBox, err);
          }
        };
      }
      box.querySelector('#alloc-school-card').scrollIntoView({block: 'start'});
    }

    // Inventory upload.
    const inv = main.querySelector('#alloc-inv-form');
    if (inv) {
      inv.onsubmit = async (ev) => {
        ev.preventDefault();
        const status = main.querySelector('#alloc-inv-status');
        const out = main.querySelector('#alloc-inv-result');
        const fd = new FormData();
        for (const id of ['alloc-devices', 'alloc-sims']) {
          const input = inv.querySelector('#' + id);
          if (input.files[0]) fd.append(input.name, input.files[0]);
        }
        out.replaceChildren();
        status.className = '';
        if (![...fd.keys()].length) { status.className = 'error'; status.textContent = t('alloc.nofile'); return; }
        status.textContent = t('alloc.uploading');
        const btn = inv.querySelector('button'); btn.disabled = true;
        try {
          const r = await post('/api/v1/allocation/inventory', fd);
          status.textContent = '';
          out.innerHTML = inventoryResult(r);
        } catch (err) {
          status.textContent = '';
          showAPIError(out, err);
        } finally { btn.disabled = false; }
      };
    }

    const pv = main.querySelector('#alloc-preview');
    if (pv) {
      pv.onclick = async () => {
        const jobBox = main.querySelector('#alloc-job');
        pv.disabled = true;
        const show = (j) => {
          jobBox.innerHTML = `<p>${t(j.status === 'succeeded' ? 'alloc.previewed' : 'alloc.previewing')} <span id="alloc-job-phase" class="muted">${esc(j.status === 'running' ? j.phase || '' : '')}</span> <b id="alloc-job-percent">${fmt(j.percent, 0)} %</b> <span id="alloc-job-status" data-status="${esc(j.status)}"></span></p><div class="progress"><div style="width:${Math.max(0, Math.min(100, j.percent || 0))}%"></div></div>`;
        };
        try {
          const order = main.querySelector('#alloc-tier-order')?.value || 'strict';
          const job = await post('/api/v1/allocation/previews', {tier_order: order});
          show(job);
          const done = await pollJob(job.id, show, 300);
          if (done.status !== 'succeeded') throw new Error(done.error || done.status);
          show({...done, percent: 100});
          await loadRuns(done.result.run_id);
        } catch (err) {
          jobBox.innerHTML = '';
          const p = document.createElement('p'); p.className = 'error'; p.id = 'alloc-job-error'; p.textContent = err.message;
          jobBox.append(p);
        } finally { pv.disabled = false; }
      };
    }

    // SIMs ending soon, with a renewal per row (officers, admins: the list
    // holds student ids).
    const endForm = main.querySelector('#alloc-ending-form');
    if (endForm) {
      const daysIn = endForm.querySelector('#alloc-ending-days');
      const listBox = main.querySelector('#alloc-ending-list');
      const errBox = main.querySelector('#alloc-ending-error');
      const status = main.querySelector('#alloc-ending-status');
      const renewBox = main.querySelector('#alloc-renew-result');
      const links = () => {
        const q = `within_days=${encodeURIComponent(daysIn.value.trim())}`;
        endForm.querySelector('#alloc-ending-csv').href = `/api/v1/allocation/sims/ending?${q}&format=csv`;
        endForm.querySelector('#alloc-ending-xlsx').href = `/api/v1/allocation/sims/ending?${q}&format=xlsx`;
      };
      daysIn.oninput = links;
      links();
      const loadEnding = async () => {
        errBox.replaceChildren();
        status.textContent = t('common.loading');
        let r;
        try {
          r = await get(`/api/v1/allocation/sims/ending?within_days=${encodeURIComponent(daysIn.value.trim())}`);
        } catch (err) {
          status.textContent = '';
          listBox.replaceChildren();
          showAPIError(errBox, err);
          return;
        }
        if (!alive) return;
        window.gapmap.alloc.ending = r;
        status.textContent = t(r.sims.length ? 'alloc.ending.count' : 'alloc.ending.none', {n: fmt(r.sims.length), from: fmtDay(r.from), to: fmtDay(r.to)});
        status.dataset.count = String(r.sims.length);
        listBox.innerHTML = !r.sims.length ? '' : `<div class="alloc-scroll tall"><table id="alloc-ending"><thead><tr><th>${t('alloc.student')}</th><th>${t('alloc.ending.school')}</th><th>${t('alloc.area')}</th><th>${t('alloc.operator')} · ${t('alloc.ending.network')}</th><th>${t('alloc.package')}</th><th>ICCID</th><th>${t('alloc.ending.ends')}</th><th class="n">${t('alloc.ending.left')}</th><th class="n">${t('alloc.ending.renewals')}</th><th class="noprint">${t('alloc.ending.renew')}</th></tr></thead><tbody>` +
          r.sims.map((e, i) => `<tr data-student="${esc(e.student_id)}" data-status="${esc(e.handover_status)}"><td>${esc(e.student_id)}${e.handover_status !== 'handed_over' ? ` <span class="muted">(${esc(t('alloc.hs.' + e.handover_status))})</span>` : ''}</td><td>${esc(e.school_id)}</td><td>${esc(e.area_code)}</td><td>${esc(e.operator)}${e.network ? ` · <span class="c-network">${esc(e.network)}</span>` : ''}</td><td class="c-package">${esc(e.package_id)}</td><td class="c-iccid">${esc(e.sim_iccid || '—')}</td>` +
            `<td class="c-ends" data-day="${esc(String(e.ends_on).slice(0, 10))}" title="${esc(t('alloc.ending.activated'))}: ${esc(fmtDay(e.activated_on))}">${esc(fmtDay(e.ends_on))}</td><td class="n c-left">${fmt(e.days_left)}</td><td class="n c-renewals">${fmt(e.renewals)}</td>` +
            `<td class="noprint"><form class="alloc-renew" data-student="${esc(e.student_id)}" novalidate><label class="sr-only" for="alloc-renew-pkg-${i}">${t('alloc.ending.renew.package')}</label><input id="alloc-renew-pkg-${i}" class="renew-package" value="${esc(e.package_id)}" size="10" autocomplete="off" title="${esc(t('alloc.ending.renew.package'))}">` +
            `<label class="sr-only" for="alloc-renew-date-${i}">${t('alloc.ending.renew.date')}</label><input id="alloc-renew-date-${i}" class="renew-date" type="date" value="${today()}" title="${esc(t('alloc.ending.renew.date'))}"><button type="submit">${t('alloc.ending.renew')}</button></form></td></tr>`).join('') +
          `</tbody></table></div>`;
        for (const f of listBox.querySelectorAll('form.alloc-renew')) {
          f.onsubmit = async (ev) => {
            ev.preventDefault();
            const student = f.dataset.student;
            const btn = f.querySelector('button'); btn.disabled = true;
            renewBox.replaceChildren();
            const body = {package_id: f.querySelector('.renew-package').value.trim()};
            const day = f.querySelector('.renew-date').value;
            if (day) body.date = day;
            try {
              const out = await post(`/api/v1/allocation/students/${encodeURIComponent(student)}/renew`, body);
              const ends = out.renewal?.ends_on || '';
              renewBox.innerHTML = `<p class="ok" id="alloc-renew-done" data-student="${esc(student)}" data-ends="${esc(String(ends).slice(0, 10))}">${esc(t('alloc.ending.renewed', {student, ends: fmtDay(ends)}))}</p>`;
              ctx.toast(t('alloc.ending.renewed', {student, ends: fmtDay(ends)}));
              await loadEnding();
            } catch (err) {
              renewBox.innerHTML = `<p class="error" id="alloc-renew-failed" data-student="${esc(student)}">${esc(t('alloc.ending.renew.failed', {student}))}</p><div id="alloc-renew-error"></div>`;
              showAPIError(renewBox.querySelector('#alloc-renew-error'), err);
              renewBox.scrollIntoView({block: 'nearest'});
            } finally { btn.disabled = false; }
          };
        }
      };
      endForm.onsubmit = (ev) => { ev.preventDefault(); links(); loadEnding().catch(ctx.showError); };
      loadEnding().catch(ctx.showError);
    }

    // The device lifecycle (inspections, histories, sales): education
    // roles only, the forms for officers.
    const devBox = main.querySelector('#alloc-lifecycle');
    await Promise.all([loadRuns(), devBox ? renderDevices(devBox, {canRecord: canCommit, toast: ctx.toast, alive: () => alive}) : null]);
  },
  leave() { alive = false; chart?.destroy(); chart = null; },
};

// showAPIError puts the API's message and every detail (by row and column)
// in box.
function showAPIError(box, err) {
  const details = err instanceof APIError ? err.details || [] : [];
  let html = `<p class="error" id="alloc-error-message">${esc(err.message)}</p>`;
  if (details.length) {
    html += `<p>${t('alloc.rowerrors')}</p><div class="alloc-scroll"><table class="alloc-errors"><thead><tr><th>${t('alloc.file')}</th><th class="n">${t('alloc.row')}</th><th>${t('alloc.column')}</th><th>${t('alloc.value')}</th><th>${t('alloc.reason')}</th></tr></thead><tbody>` +
      details.map(d => `<tr data-row="${d.row || ''}" data-column="${esc(d.column)}"><td>${esc(d.file)}</td><td class="n">${d.row || ''}</td><td>${esc(d.column)}</td><td>${esc(d.value)}</td><td>${esc(d.reason)}</td></tr>`).join('') + `</tbody></table></div>`;
  }
  box.innerHTML = html;
}

function inventoryResult(r) {
  const counts = r.device_status || {};
  const devices = r.devices || [];
  const sims = r.sim_packages || [];
  return `<h3>${t('alloc.check')}</h3><p id="alloc-inv-counts">` +
    ['ok', 'repair', 'liquidate'].map(s => `<span class="pill st-${s}">${t('alloc.status.' + s)}: <b data-status="${s}">${fmt(counts[s] || 0)}</b></span>`).join(' ') + `</p>` +
    `<div class="alloc-scroll tall"><table id="alloc-inv-devices"><thead><tr><th>${t('alloc.device')}</th><th>${t('alloc.type')}</th><th>${t('alloc.status')}</th><th>${t('alloc.reasons')}</th></tr></thead><tbody>` +
    devices.map(d => `<tr><td>${esc(d.device_id)}</td><td>${esc(d.type)}</td><td class="st-${esc(d.status)}">${esc(t('alloc.status.' + d.status))}</td><td>${esc([...(d.reasons || []), ...(d.warnings || [])].join(', '))}</td></tr>`).join('') + `</tbody></table></div>` +
    `<h3>${t('alloc.simcheck')}</h3><div class="alloc-scroll"><table id="alloc-inv-sims"><thead><tr><th>${t('alloc.package')}</th><th>${t('alloc.operator')}</th><th class="n">${t('alloc.quantity')}</th><th>${t('alloc.status')}</th><th>${t('alloc.reasons')}</th></tr></thead><tbody>` +
    sims.map(p => `<tr><td>${esc(p.package_id)}</td><td>${esc(p.operator)}</td><td class="n">${fmt(p.quantity)}</td><td class="${p.ok ? 'st-ok' : 'st-liquidate'}">${esc(t(p.ok ? 'alloc.status.ok' : 'alloc.sim.rejected'))}</td><td>${esc((p.reasons || []).join(', '))}</td></tr>`).join('') + `</tbody></table></div>`;
}
