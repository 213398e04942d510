// Reports: progress by area (coverage %, schools without Internet,
// students in need by tier, devices and SIMs allocated and handed over in
// the latest committed allocation run) and the trend across coverage runs
// (a line chart and a table). Aggregates only; printable.
import {Chart, LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip} from 'chart.js';
import {t, fmt, fmtDay, addStrings, getLang} from '../i18n.js';
import {get, APIError} from '../api.js';
import {esc} from '../html.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

addStrings({
  'reports.title': ['Báo cáo tiến độ', 'Progress reports'],
  'reports.print': ['In báo cáo', 'Print'],
  'reports.area': ['Địa bàn', 'Area'],
  'reports.progress': ['Tiến độ theo địa bàn', 'Progress by area'],
  'reports.progress.note': ['Theo lượt phân tích vùng phủ mới nhất; dòng đầu là tổng của địa bàn đã chọn, các dòng sau là các địa bàn trực thuộc.',
    'From the latest coverage run; the first row is the chosen area\'s total, the rows below are the areas under it.'],
  'reports.coverage': ['Tỉ lệ hộ có 4G hoặc cáp quang', 'Homes with 4G or fiber'],
  'reports.schools': ['Trường học', 'Schools'],
  'reports.schools_none': ['Trường chưa có Internet', 'Schools without Internet'],
  'reports.t1': ['Học sinh diện 1', 'Tier 1 students'],
  'reports.t2': ['Học sinh diện 2', 'Tier 2 students'],
  'reports.t3': ['Học sinh diện 3', 'Tier 3 students'],
  'reports.unconnected': ['Học sinh diện 1–3 chưa có kết nối', 'Tier 1–3 students without a connection'],
  'reports.devices': ['Máy tính đã phân bổ', 'Devices allocated'],
  'reports.sims': ['SIM đã phân bổ', 'SIMs allocated'],
  'reports.handed': ['Máy đã bàn giao', 'Devices handed over'],
  'reports.alloc_run': ['Lượt phân bổ đã chốt: #{id} ({date})', 'Committed allocation run: #{id} ({date})'],
  'reports.alloc_none': ['Chưa có lượt phân bổ nào được chốt.', 'No allocation run has been committed yet.'],
  'reports.trend': ['Xu hướng qua các lượt phân tích vùng phủ', 'Trend across coverage runs'],
  'reports.run': ['Lượt', 'Run'],
  'reports.date': ['Thời điểm', 'Date'],
  'reports.day': ['Ngày phân tích (địa bàn hiệu lực)', 'Analysis date (areas valid)'],
  'reports.gaps': ['Vùng lõm sóng', 'Gap areas'],
  'reports.households': ['Hộ gia đình', 'Households'],
  'reports.norun': ['Chưa có lượt phân tích vùng phủ nào.', 'No coverage run yet.'],
  'reports.chart': ['Biểu đồ xu hướng: tỉ lệ phủ và số học sinh chưa có kết nối theo lượt', 'Trend chart: coverage and students without a connection by run'],
  'reports.total': ['Tổng', 'Total'],
  'up.title': ['Báo cáo định kỳ lên cấp trên', 'Reports owed upward'],
  'up.note': ['Chỉ có số lượng, không có dữ liệu cá nhân. Mỗi báo cáo ghi rõ dữ liệu nguồn; cùng tham số cho cùng kết quả.',
    'Counts only, no personal data. Each report states the data it was made from; the same parameters give the same result.'],
  'up.kind': ['Báo cáo', 'Report'],
  'up.progress': ['Tiến độ theo địa bàn và kỳ', 'Progress by area and period'],
  'up.donors': ['Nguồn lực của nhà tài trợ', 'The donor trail'],
  'up.handovers': ['Bàn giao hằng tháng', 'Monthly handovers'],
  'up.connectivity': ['Điểm chưa có Internet di động', 'Points without mobile Internet'],
  'up.from': ['Từ ngày', 'From'],
  'up.to': ['Đến ngày', 'To'],
  'up.period': ['Kỳ', 'Period'],
  'up.month': ['Tháng', 'Month'],
  'up.quarter': ['Quý', 'Quarter'],
  'up.year': ['Năm', 'Year'],
  'up.target': ['Chỉ tiêu/tháng', 'Target a month'],
  'up.target_date': ['Hạn mục tiêu', 'Target date'],
  'up.show': ['Xem báo cáo', 'Show'],
  'up.download': ['Tải về', 'Download'],
  'up.source': ['Dữ liệu nguồn', 'Made from'],
  'up.runs': ['Lượt chạy', 'Runs'],
  'up.asof': ['Số liệu đến ngày', 'As of'],
  'up.version': ['Phiên bản', 'Version'],
  'up.empty': ['Không có số liệu.', 'No figures.'],
  'col.area_code': ['Mã địa bàn', 'Area code'], 'col.area_name': ['Địa bàn', 'Area'], 'col.level': ['Cấp', 'Level'],
  'col.period': ['Kỳ', 'Period'], 'col.month': ['Tháng', 'Month'], 'col.operator': ['Nhà mạng', 'Operator'],
  'col.need_tier1': ['Nhu cầu diện 1', 'Need, tier 1'], 'col.need_tier2': ['Nhu cầu diện 2', 'Need, tier 2'],
  'col.need_tier3': ['Nhu cầu diện 3', 'Need, tier 3'], 'col.need': ['Tổng nhu cầu', 'Need'],
  'col.devices_allocated': ['Máy phân bổ trong kỳ', 'Devices allocated'], 'col.devices_allocated_to_date': ['Máy phân bổ lũy kế', 'Devices allocated to date'],
  'col.sims_allocated': ['SIM phân bổ trong kỳ', 'SIMs allocated'], 'col.sims_allocated_to_date': ['SIM phân bổ lũy kế', 'SIMs allocated to date'],
  'col.devices_handed_over': ['Máy bàn giao trong kỳ', 'Devices handed over'], 'col.devices_handed_over_to_date': ['Máy bàn giao lũy kế', 'Handed over to date'],
  'col.sims_handed_over': ['SIM bàn giao trong kỳ', 'SIMs handed over'], 'col.sims_handed_over_to_date': ['SIM bàn giao lũy kế', 'SIMs handed over to date'],
  'col.devices_returned_to_date': ['Máy đã trả lại', 'Devices returned'], 'col.unmet': ['Chưa đáp ứng', 'Unmet'],
  'col.students_tier12': ['HS diện 1–2', 'Tier 1–2 students'], 'col.equipped_tier12': ['Diện 1–2 có máy', 'Tier 1–2 equipped'],
  'col.pct_tier12_equipped': ['% diện 1–2 có máy', '% tier 1–2 equipped'],
  'col.donor': ['Nhà tài trợ', 'Donor'], 'col.kind': ['Loại', 'Kind'], 'col.received': ['Đã tiếp nhận', 'Received'],
  'col.allocated': ['Đã phân bổ', 'Allocated'], 'col.handed_over': ['Đã bàn giao', 'Handed over'], 'col.in_stock': ['Còn trong kho', 'In stock'],
  'col.months': ['Số tháng', 'Months'], 'col.months_below': ['Tháng dưới chỉ tiêu', 'Months below target'],
  'col.homes': ['Số hộ', 'Homes'], 'col.without_mobile': ['Chưa có Internet di động', 'Without mobile Internet'],
  'col.pct_with_mobile': ['% hộ có Internet di động', '% homes with mobile Internet'], 'col.baseline_homes': ['Số hộ (lượt gốc)', 'Homes (baseline)'],
  'col.without_mobile_baseline': ['Chưa có (lượt gốc)', 'Without (baseline)'], 'col.closed': ['Đã xóa', 'Closed'], 'col.opened': ['Phát sinh', 'Opened'],
  'col.new_without': ['Hộ mới chưa có', 'New without'], 'col.gone_without': ['Hộ không còn', 'Gone'], 'col.pct_closed': ['% đã xóa', '% closed'],
  'col.needed_per_30_days': ['Cần xóa mỗi 30 ngày', 'Needed per 30 days'],
});

// The columns each report's table shows (the JSON's main rows).
const upwardTables = {
  progress: {rows: 'areas', cols: ['area_name', 'period', 'need_tier1', 'need_tier2', 'need_tier3', 'need', 'devices_allocated', 'devices_allocated_to_date',
    'sims_allocated_to_date', 'devices_handed_over', 'devices_handed_over_to_date', 'unmet', 'pct_tier12_equipped']},
  donors: {rows: 'totals', cols: ['donor', 'kind', 'received', 'allocated', 'handed_over', 'in_stock']},
  handovers: {rows: 'areas', cols: ['area_code', 'area_name', 'level', 'handed_over', 'months', 'months_below']},
  connectivity: {rows: 'rows', cols: ['area_name', 'operator', 'homes', 'without_mobile', 'pct_with_mobile', 'without_mobile_baseline', 'closed', 'opened', 'needed_per_30_days']},
};

let chart = null;


// errorText is the API's message (never just a code).
function errorText(err) {
  return err instanceof APIError || err?.message ? err.message : t('common.error');
}

function loading(box) {
  box.innerHTML = `<p class="loading" role="status" aria-busy="true"><span class="spinner" aria-hidden="true"></span> ${esc(t('common.loading'))}</p>`;
}
function failed(box, err) {
  box.innerHTML = `<p class="error" role="alert">${esc(errorText(err))}</p>`;
}

const num = (v, key = '') => `<td class="n"${key ? ` data-k="${key}"` : ''} data-v="${v ?? ''}">${fmt(v)}</td>`;
const pct = (v) => `<td class="n" data-v="${v ?? ''}">${v === null || v === undefined ? '—' : fmt(v, 1) + ' %'}</td>`;

// mayAllocation: operators get 403 from the allocation API.
const mayAllocation = (user) => user.role !== 'operator';

export const reportsPage = {
  path: '#/reports',
  nav: 'nav.reports',
  async render(main, ctx) {
    main.innerHTML = `<div class="reports">
      <div class="reports-head"><h1 data-t="reports.title"></h1>
        <label class="noprint"><span data-t="reports.area"></span> <select id="reports-area" disabled></select></label>
        <button id="reports-print" class="noprint" type="button" data-t="reports.print"></button></div>
      <section class="card" id="reports-progress" aria-labelledby="reports-progress-h"><h2 id="reports-progress-h" data-t="reports.progress"></h2>
        <p class="muted" data-t="reports.progress.note"></p><p class="muted" id="reports-alloc-run"></p><div id="reports-progress-body"></div></section>
      <section class="card" id="reports-trend" aria-labelledby="reports-trend-h"><h2 id="reports-trend-h" data-t="reports.trend"></h2><div id="reports-trend-body"></div></section>
      <section class="card" id="reports-upward" aria-labelledby="reports-upward-h"><h2 id="reports-upward-h" data-t="up.title"></h2>
        <p class="muted" data-t="up.note"></p>
        <form id="up-form" class="noprint up-form">
          <label><span data-t="up.kind"></span> <select id="up-kind"></select></label>
          <label class="up-dates"><span data-t="up.from"></span> <input type="date" id="up-from"></label>
          <label class="up-dates"><span data-t="up.to"></span> <input type="date" id="up-to"></label>
          <label class="up-period"><span data-t="up.period"></span> <select id="up-period"><option value="month" data-t="up.month"></option><option value="quarter" data-t="up.quarter"></option><option value="year" data-t="up.year"></option></select></label>
          <label class="up-target"><span data-t="up.target"></span> <input type="number" min="0" id="up-target" value="2"></label>
          <label class="up-tdate"><span data-t="up.target_date"></span> <input type="date" id="up-tdate"></label>
          <button type="submit" data-t="up.show"></button>
        </form>
        <div id="up-body"></div></section>
    </div>`;
    ctx.translate(main);
    main.querySelector('#reports-print').onclick = () => window.print();
    const progressBox = main.querySelector('#reports-progress-body');
    const trendBox = main.querySelector('#reports-trend-body');
    loading(progressBox);
    loading(trendBox);
    window.gapmap.reports = {progress: false, trend: false, upward: false};
    this.upward(main, ctx);
    // Both sections load at once; each shows its own error.
    await Promise.all([
      this.progress(main, ctx, progressBox).catch(err => { failed(progressBox, err); window.gapmap.reports.progress = true; }),
      this.trend(trendBox).catch(err => { failed(trendBox, err); window.gapmap.reports.trend = true; }),
    ]);
  },

  async progress(main, ctx, box) {
    const [{areas}, alloc] = await Promise.all([get('/api/v1/areas'), mayAllocation(ctx.user) ? latestAllocation() : null]);
    const byCode = new Map(areas.map(a => [a.code, a]));
    const children = new Map();
    for (const a of areas) {
      const p = a.parent_code && byCode.has(a.parent_code) ? a.parent_code : '';
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(a);
    }
    // The top: an officer's own area, else the first root of the tree.
    const top = (ctx.user.area_code && byCode.has(ctx.user.area_code)) ? ctx.user.area_code : (children.get('') || [])[0]?.code;
    const sel = main.querySelector('#reports-area');
    const opts = [];
    const walk = (code, depth) => {
      const a = byCode.get(code);
      if (!a) return;
      if (children.has(code)) opts.push(`<option value="${esc(code)}">${'\u00a0\u00a0'.repeat(depth)}${esc(a.name)} (${esc(code)})</option>`);
      for (const c of children.get(code) || []) walk(c.code, depth + 1);
    };
    walk(top, 0);
    if (!opts.length && top) opts.push(`<option value="${esc(top)}">${esc(byCode.get(top).name)}</option>`);
    sel.innerHTML = opts.join('');
    sel.disabled = false;
    const note = main.querySelector('#reports-alloc-run');
    if (alloc === null) note.textContent = '';
    else if (!alloc.run) note.textContent = t('reports.alloc_none');
    else note.textContent = t('reports.alloc_run', {id: alloc.run.id, date: new Date(alloc.run.created_at).toLocaleString(getLang() === 'en' ? 'en-GB' : 'vi-VN')});
    let seq = 0; // only the latest choice is drawn
    const show = async () => {
      const mine = ++seq;
      loading(box);
      window.gapmap.reports.progress = false;
      try {
        const html = await this.table(sel.value, byCode, children, alloc);
        if (mine === seq) box.innerHTML = html;
      } catch (err) { if (mine === seq) failed(box, err); }
      if (mine === seq) window.gapmap.reports.progress = true;
    };
    sel.onchange = show;
    if (!top) { box.innerHTML = `<p class="muted">—</p>`; window.gapmap.reports.progress = true; return; }
    await show();
  },

  async table(code, byCode, children, alloc) {
    const rows = [code, ...(children.get(code) || []).map(a => a.code)];
    const sums = await Promise.all(rows.map(c => get(`/api/v1/areas/${encodeURIComponent(c)}/summary`)));
    const withAlloc = !!alloc?.run;
    const head = ['reports.area', 'reports.coverage', 'reports.schools', 'reports.schools_none', 'reports.t1', 'reports.t2', 'reports.t3', 'reports.unconnected',
      ...(withAlloc ? ['reports.devices', 'reports.sims', 'reports.handed'] : [])];
    const body = sums.map((s, i) => {
      const c = rows[i];
      const a = alloc?.areas?.get(c);
      const cls = i === 0 ? ' class="total"' : '';
      return `<tr data-code="${esc(c)}"${cls}><th scope="row">${esc(byCode.get(c)?.name || c)}${i === 0 ? ` <span class="muted">(${esc(t('reports.total'))})</span>` : ''}</th>` +
        `<td class="n" data-k="coverage_pct" data-v="${s.coverage_pct}">${fmt(s.coverage_pct, 1)} %</td>` +
        num(s.schools, 'schools') + num(s.schools_without_internet, 'schools_without_internet') +
        num(s.students_t1, 'students_t1') + num(s.students_t2, 'students_t2') +
        num(s.students_t3, 'students_t3') + num(s.unconnected_students_t123, 'unconnected_students_t123') +
        (withAlloc ? num(a?.allocated ?? 0, 'allocated') + num(a?.sims_given ?? 0, 'sims_given') +
          num(handedIn(c, alloc, byCode), 'handed_over') : '') + `</tr>`;
    }).join('');
    return `<div class="tablewrap"><table id="reports-progress-table"><thead><tr>${head.map((k, i) => `<th scope="col"${i ? ' class="n"' : ''} data-t="${k}">${esc(t(k))}</th>`).join('')}</tr></thead>
      <tbody>${body}</tbody></table></div>`;
  },

  async trend(box) {
    const {runs} = await get('/api/v1/coverage/runs?limit=500');
    if (!runs.length) { box.innerHTML = `<p class="muted" data-t="reports.norun">${esc(t('reports.norun'))}</p>`; window.gapmap.reports.trend = true; return; }
    const rows = runs.slice().reverse().map(trendRow); // oldest first
    const date = (s) => new Date(s).toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'vi-VN');
    box.innerHTML = `<div class="chartwrap"><canvas id="reports-chart" role="img" aria-label="${esc(t('reports.chart'))}"></canvas></div>
      <div class="tablewrap"><table id="reports-trend-table"><thead><tr>${['reports.run', 'reports.date', 'reports.day', 'reports.households', 'reports.coverage', 'reports.schools_none', 'reports.unconnected', 'reports.gaps']
        .map((k, i) => `<th scope="col"${i > 2 ? ' class="n"' : ''} data-t="${k}">${esc(t(k))}</th>`).join('')}</tr></thead><tbody>` +
      rows.map(r => `<tr data-run="${r.id}"><th scope="row">#${r.id}</th><td>${esc(date(r.created_at))}</td><td class="c-day" data-day="${esc(r.day)}">${esc(fmtDay(r.day))}</td>${num(r.households)}${pct(r.coverage)}${num(r.schoolsNone)}${num(r.unconnected)}${num(r.gaps)}</tr>`).join('') +
      `</tbody></table></div>`;
    chart?.destroy();
    chart = new Chart(box.querySelector('#reports-chart'), {
      type: 'line',
      data: {
        labels: rows.map(r => `#${r.id} · ${date(r.created_at)}`),
        datasets: [
          {label: t('reports.coverage') + ' (%)', data: rows.map(r => r.coverage), borderColor: '#0b6bcb', backgroundColor: '#0b6bcb', yAxisID: 'pct'},
          {label: t('reports.unconnected'), data: rows.map(r => r.unconnected), borderColor: '#b42318', backgroundColor: '#b42318', yAxisID: 'n'},
        ],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {
          x: {offset: true},
          pct: {type: 'linear', position: 'left', min: 0, max: 100, title: {display: true, text: '%'}},
          n: {type: 'linear', position: 'right', beginAtZero: true, grid: {drawOnChartArea: false}},
        },
        plugins: {legend: {position: 'bottom'}},
      },
    });
    window.gapmap.reports.trend = true;
  },

  // upward: the reports owed upward (GET /api/v1/reports/{kind}): the
  // main table, the source block and a download per format. An operator
  // reads the connectivity report only.
  upward(main, ctx) {
    const kinds = ctx.user.role === 'operator' ? ['connectivity'] : ['progress', 'donors', 'handovers', 'connectivity'];
    const kindSel = main.querySelector('#up-kind');
    kindSel.innerHTML = kinds.map(k => `<option value="${k}" data-t="up.${k}">${esc(t('up.' + k))}</option>`).join('');
    const today = new Date();
    main.querySelector('#up-to').value = today.toISOString().slice(0, 10);
    main.querySelector('#up-from').value = `${today.getFullYear()}-01-01`;
    const body = main.querySelector('#up-body');
    const form = main.querySelector('#up-form');
    const visible = () => {
      const k = kindSel.value;
      form.querySelectorAll('.up-dates').forEach(e => { e.hidden = k === 'connectivity'; });
      form.querySelector('#up-from').parentElement.hidden = k === 'connectivity' || k === 'donors';
      form.querySelector('.up-period').hidden = k !== 'progress';
      form.querySelector('.up-target').hidden = k !== 'handovers';
      form.querySelector('.up-tdate').hidden = k !== 'connectivity';
    };
    const query = () => {
      const k = kindSel.value;
      const q = new URLSearchParams();
      const v = (id) => main.querySelector(id).value;
      if (k !== 'connectivity') q.set('to', v('#up-to'));
      if (k === 'progress' || k === 'handovers') q.set('from', v('#up-from'));
      if (k === 'progress') { q.set('period', v('#up-period')); q.set('levels', '2'); }
      if (k === 'handovers') q.set('monthly_target', v('#up-target') || '0');
      if (k === 'connectivity') { q.set('levels', '2'); if (v('#up-tdate')) q.set('target_date', v('#up-tdate')); }
      const area = main.querySelector('#reports-area').value;
      if (area) q.set('area', area);
      return {k, q};
    };
    const show = async () => {
      const {k, q} = query();
      window.gapmap.reports.upward = false;
      loading(body);
      try {
        const rep = await get(`/api/v1/reports/${k}?${q}`);
        body.innerHTML = upwardHTML(k, rep, q);
      } catch (err) { failed(body, err); }
      window.gapmap.reports.upward = true;
    };
    kindSel.onchange = () => { visible(); show(); };
    form.onsubmit = (ev) => { ev.preventDefault(); show(); };
    visible();
    // The area list fills in with the progress section: wait for it.
    const start = () => (main.querySelector('#reports-area').disabled && !window.gapmap.reports.progress ? setTimeout(start, 100) : show());
    start();
  },

  leave() { chart?.destroy(); chart = null; },
};

// handedIn: the devices handed over in schools of area code or below.
function handedIn(code, alloc, byCode) {
  let n = 0;
  for (const s of alloc.schools) {
    for (let a = s.area_code, guard = 0; a && guard < 64; a = byCode.get(a)?.parent_code, guard++) {
      if (a === code) { n += s.handed_over; break; }
    }
  }
  return n;
}

// latestAllocation: the newest committed allocation run with its counts
// per area and per school (counts only), or {run: null}.
async function latestAllocation() {
  const {runs} = await get('/api/v1/allocation/runs');
  const run = runs.find(r => r.status === 'committed');
  if (!run) return {run: null};
  const [areas, schools] = await Promise.all([get(`/api/v1/allocation/runs/${run.id}/areas`), get(`/api/v1/allocation/runs/${run.id}/schools`)]);
  return {run, areas: new Map(areas.areas.map(a => [a.code, a])), schools: schools.schools};
}

// trendRow: one coverage run's totals (from its stored summary).
function trendRow(run) {
  const tot = run.summary?.total || {};
  const sum = (c) => c ? (c.fiber || 0) + (c['4g'] || 0) + (c['3g'] || 0) + (c['2g'] || 0) + (c.none || 0) : 0;
  const conn = (c) => c ? (c.fiber || 0) + (c['4g'] || 0) : 0;
  const hh = sum(tot.households);
  const sc = tot.schools;
  const ps = tot.priority_students;
  return {
    id: run.id, created_at: run.created_at, day: run.date || '', households: hh,
    coverage: hh ? Math.round(1000 * conn(tot.households) / hh) / 10 : null,
    schoolsNone: sc ? sum(sc) - conn(sc) : null,
    unconnected: ps ? sum(ps) - conn(ps) : null,
    gaps: run.gap_areas,
  };
}

// upwardHTML draws a report's source block, its main table and the links
// to download it in each format.
function upwardHTML(kind, rep, q) {
  const spec = upwardTables[kind];
  const rows = rep[spec.rows] || [];
  const src = rep.source;
  const runs = (src.runs || []).map(r => `${r.kind} #${r.id} (${r.created_at.slice(0, 10)})`).join(', ') || '—';
  const links = ['xlsx', 'csv', 'json'].map(f => {
    const qq = new URLSearchParams(q); qq.set('format', f);
    return `<a class="button" data-format="${f}" href="/api/v1/reports/${kind}?${qq}" download>${esc(t('up.download'))} ${f.toUpperCase()}</a>`;
  }).join(' ');
  const head = spec.cols.map((c, i) => `<th scope="col"${i > 1 ? ' class="n"' : ''} data-t="col.${c}">${esc(t('col.' + c))}</th>`).join('');
  const cell = (r, c) => {
    const v = r[c];
    if (typeof v === 'number') return `<td class="n" data-k="${c}" data-v="${v}">${fmt(v, 1)}${c.startsWith('pct') ? ' %' : ''}</td>`;
    return `<td data-k="${c}">${esc(v === '' && c === 'donor' ? '—' : v ?? '')}</td>`;
  };
  const body = rows.map(r => `<tr data-code="${esc(r.area_code ?? '')}"${r.area_code === '' ? ' class="total"' : ''}>${spec.cols.map(c => cell(r, c)).join('')}</tr>`).join('');
  return `<dl class="up-source"><dt data-t="up.source">${esc(t('up.source'))}</dt><dd>${esc(src.title)}</dd>
      <dt data-t="up.asof">${esc(t('up.asof'))}</dt><dd id="up-asof">${esc(src.as_of)}</dd>
      <dt data-t="up.runs">${esc(t('up.runs'))}</dt><dd id="up-runs">${esc(runs)}</dd>
      <dt data-t="up.version">${esc(t('up.version'))}</dt><dd>${esc(src.gapmap_version || '')}</dd></dl>
    <p class="noprint up-links">${links}</p>
    ${rows.length ? `<div class="tablewrap"><table id="up-table" data-kind="${kind}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`
      : `<p class="muted" data-t="up.empty">${esc(t('up.empty'))}</p>`}`;
}
