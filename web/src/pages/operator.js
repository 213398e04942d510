// The operator view: upload of its own network (sites, fiber, coverage
// polygons, field measurements) with every row error shown, the list of
// its network with row delete, the uncovered-points exports, and the gaps
// its network closed since the previous coverage run. An operator account
// is bound to its own operator; a planner chooses one. Only aggregates and
// the network itself are requested: never a household or a student.
import {t, fmt, addStrings} from '../i18n.js';
import {get, api, del} from '../api.js';
import {esc} from '../html.js';

addStrings({
  'op.title': ['Mạng lưới của nhà mạng', "The operator's network"],
  'op.operator': ['Nhà mạng', 'Operator'],
  'op.choose': ['— chọn nhà mạng —', '— choose an operator —'],
  'op.chooseFirst': ['Chọn một nhà mạng để tải lên, xem và xuất dữ liệu của nhà mạng đó.', 'Choose an operator to upload, list and export its data.'],
  'op.upload': ['Tải lên dữ liệu mạng lưới', 'Upload network data'],
  'op.uploadHelp': ['Tệp CSV, CSV.GZ, XLSX hoặc GeoJSON. Tất cả hoặc không: nếu có bất kỳ lỗi nào, không có gì bị thay đổi.', 'A CSV, CSV.GZ, XLSX or GeoJSON file. All or nothing: on any error, nothing is changed.'],
  'op.kind': ['Loại dữ liệu', 'Kind of data'],
  'op.kind.sites': ['Trạm phát sóng (sector)', 'Sites (sectors)'],
  'op.kind.fiber_nodes': ['Điểm cáp quang', 'Fiber nodes'],
  'op.kind.fiber_routes': ['Tuyến cáp quang', 'Fiber routes'],
  'op.kind.coverage_polygons': ['Vùng phủ sóng', 'Coverage polygons'],
  'op.kind.measurements': ['Đo kiểm thực địa', 'Field measurements'],
  'op.file': ['Tệp', 'File'],
  'op.replace': ['Thay thế toàn bộ dữ liệu loại này của nhà mạng', "Replace all of the operator's data of this kind"],
  'op.dryRun': ['Chỉ kiểm tra, không ghi', 'Check only, write nothing'],
  'op.send': ['Tải lên', 'Upload'],
  'op.sending': ['Đang tải lên và kiểm tra…', 'Uploading and checking…'],
  'op.noFile': ['Hãy chọn một tệp.', 'Choose a file.'],
  'op.failed': ['Không có gì bị thay đổi.', 'Nothing was changed.'],
  'op.failedCount': ['Tệp có {n} lỗi; hãy sửa và tải lên lại. Không có dòng nào được ghi.', 'The file has {n} problem(s); fix them and upload again. No row was written.'],
  'op.ok': ['Đã ghi {inserted} trên {rows} dòng của tệp {file}.', 'Wrote {inserted} of the {rows} rows of {file}.'],
  'op.okDry': ['Kiểm tra xong: {rows} dòng của tệp {file} hợp lệ. Không có gì được ghi (chỉ kiểm tra).', 'Checked: the {rows} rows of {file} are valid. Nothing was written (check only).'],
  'op.warnings': ['Cảnh báo', 'Warnings'],
  'op.col.file': ['Tệp', 'File'],
  'op.col.row': ['Dòng', 'Row'],
  'op.col.column': ['Cột', 'Column'],
  'op.col.value': ['Giá trị', 'Value'],
  'op.col.reason': ['Lý do', 'Reason'],
  'op.network': ['Danh sách mạng lưới', 'Network list'],
  'op.list': ['Hiển thị', 'Show'],
  'op.list.sites': ['Trạm (sector)', 'Sites (sectors)'],
  'op.list.nodes': ['Điểm cáp quang', 'Fiber nodes'],
  'op.list.routes': ['Tuyến cáp quang', 'Fiber routes'],
  'op.empty': ['Không có dòng nào.', 'No rows.'],
  'op.prev': ['‹ Trước', '‹ Previous'],
  'op.next': ['Sau ›', 'Next ›'],
  'op.page': ['{from}–{to} trên {total}', '{from}–{to} of {total}'],
  'op.delete': ['Xoá', 'Delete'],
  'op.confirmDelete': ['Xoá {id}? Không thể hoàn tác.', 'Delete {id}? This cannot be undone.'],
  'op.deleted': ['Đã xoá {id}.', 'Deleted {id}.'],
  'op.c.sector': ['Mã sector', 'Sector'],
  'op.c.site': ['Mã trạm', 'Site'],
  'op.c.operator': ['Nhà mạng', 'Operator'],
  'op.c.tech': ['Công nghệ', 'Technology'],
  'op.c.band': ['Băng tần (MHz)', 'Band (MHz)'],
  'op.c.lat': ['Vĩ độ', 'Latitude'],
  'op.c.lon': ['Kinh độ', 'Longitude'],
  'op.c.azimuth': ['Phương vị (°)', 'Azimuth (°)'],
  'op.c.status': ['Trạng thái', 'Status'],
  'op.c.node': ['Mã điểm', 'Node'],
  'op.c.nodeKind': ['Loại', 'Kind'],
  'op.c.route': ['Mã tuyến', 'Route'],
  'op.c.points': ['Số điểm', 'Points'],
  'op.c.action': ['Thao tác', 'Action'],
  'op.omni': ['vô hướng', 'omni'],
  'op.exports': ['Xuất điểm chưa được phủ sóng', 'Export the uncovered points'],
  'op.exportsHelp': ['Các ô H3 gộp (đủ số hộ để không lộ thông tin cá nhân) và điểm trường học, của lượt phân tích mới nhất.', 'Merged H3 cells (enough households each to keep people anonymous) and school points, from the newest coverage run.'],
  'op.view.operator': ['Chưa có 4G của nhà mạng này', "Without this operator's 4G"],
  'op.view.no_network': ['Không có mạng nào (không 4G, không cáp quang)', 'No network at all (no 4G, no fiber)'],
  'op.closed': ['Lõm sóng đã được xoá từ lượt trước', 'Gaps closed since the previous run'],
  'op.closedHelp': ['So sánh lượt phân tích {run} với lượt {since}: các ô chưa được nhà mạng phục vụ (hoặc là lõm sóng) ở lượt trước và nay đã được phục vụ.', 'Coverage run {run} compared with run {since}: the cells the operator did not serve (or gaps) before and serves now.'],
  'op.closedHelpAll': ['So sánh lượt phân tích {run} với lượt {since}: các ô lõm sóng ở lượt trước nay đã có 4G hoặc cáp quang.', 'Coverage run {run} compared with run {since}: the gap cells that now have 4G or fiber.'],
  'op.closedNone': ['Cần ít nhất hai lượt phân tích vùng phủ để so sánh.', 'At least two coverage runs are needed to compare.'],
  'op.closedEmpty': ['Không có ô nào mới được phục vụ.', 'No cell is newly served.'],
  'op.closedTotal': ['Tổng: {cells} ô ({gaps} ô từng là lõm sóng), {households} hộ, học sinh diện 1/2/3: {t1} / {t2} / {t3}; học sinh diện 1–3 chưa kết nối: {before} → {after}.', 'Total: {cells} cells ({gaps} were gap cells), {households} households, tier 1/2/3 students: {t1} / {t2} / {t3}; unconnected tier 1–3 students: {before} → {after}.'],
  'op.closedSuppressed': ['{n} ô ít hơn {k} hộ: số liệu được ẩn và không tính vào tổng.', '{n} cells hold fewer than {k} households: their counts are withheld and left out of the total.'],
  'op.closedTruncated': ['Chỉ liệt kê {n} ô đầu; tổng tính tất cả.', 'Only the first {n} cells are listed; the total counts them all.'],
  'op.k.h3': ['Ô H3', 'H3 cell'],
  'op.k.area': ['Mã vùng', 'Area'],
  'op.k.households': ['Hộ', 'Households'],
  'op.k.students': ['Học sinh diện 1/2/3', 'Tier 1/2/3 students'],
  'op.k.unconnected': ['Chưa kết nối trước → sau', 'Unconnected before → after'],
  'op.k.schools': ['Trường', 'Schools'],
  'op.k.wasGap': ['Từng là lõm sóng', 'Was a gap'],
  'op.yes': ['có', 'yes'],
  'op.withheld': ['ẩn', 'withheld'],
});

const OPERATORS = ['viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile'];
const KINDS = ['sites', 'fiber_nodes', 'fiber_routes', 'coverage_polygons', 'measurements'];
const FORMATS = ['csv', 'xlsx', 'geojson', 'kml'];
const PAGE = 20;


// Lists of the network: path, columns (header key, cell), id of a row.
const LISTS = {
  sites: {path: '/api/v1/sites', del: '/api/v1/sites/', id: r => r.sector_id, cols: [
    ['op.c.sector', r => esc(r.sector_id)], ['op.c.site', r => esc(r.site_id)], ['op.c.tech', r => esc(r.technology)],
    ['op.c.band', r => esc(r.band_mhz), 'n'], ['op.c.lat', r => fmt(r.lat, 5), 'n'], ['op.c.lon', r => fmt(r.lon, 5), 'n'],
    ['op.c.azimuth', r => r.azimuth_deg === null ? t('op.omni') : fmt(r.azimuth_deg), 'n'], ['op.c.status', r => esc(r.status)]]},
  nodes: {path: '/api/v1/fiber/nodes', del: '/api/v1/fiber/nodes/', id: r => r.node_id, cols: [
    ['op.c.node', r => esc(r.node_id)], ['op.c.nodeKind', r => esc(r.kind)], ['op.c.lat', r => fmt(r.lat, 5), 'n'], ['op.c.lon', r => fmt(r.lon, 5), 'n']]},
  routes: {path: '/api/v1/fiber/routes', del: '/api/v1/fiber/routes/', id: r => r.route_id, cols: [
    ['op.c.route', r => esc(r.route_id)], ['op.c.points', r => fmt(r.line.length), 'n']]},
};

let generation = 0; // bumped by each render and leave: late answers of a left page are dropped

export const operatorPage = {
  path: '#/operator',
  nav: 'nav.operator',
  roles: ['operator', 'planner'],
  async render(main, ctx) {
    const gen = ++generation;
    const current = () => gen === generation;
    const bound = ctx.user.role === 'operator';
    const st = {op: bound ? ctx.user.operator : (sessionStorage.getItem('gapmap.op.operator') || ''), list: 'sites', offset: 0};
    main.innerHTML = `<div class="oppage">
      <div class="op-head"><h1 data-t="op.title"></h1><div id="op-who">${bound
        ? `<span data-t="op.operator"></span>: <b id="op-bound">${esc(ctx.user.operator)}</b>`
        : `<label for="op-operator" data-t="op.operator"></label> <select id="op-operator"><option value="" data-t="op.choose"></option>
            ${OPERATORS.map(o => `<option value="${o}">${o}</option>`).join('')}</select>`}</div></div>
      <div id="op-body"><div class="op-grid"><div>
      <section class="card" aria-labelledby="op-upload-h"><h2 id="op-upload-h" data-t="op.upload"></h2>
        <p class="muted" data-t="op.uploadHelp"></p>
        <form id="op-upload" class="op-form">
          <label for="op-kind" data-t="op.kind"></label>
          <select id="op-kind">${KINDS.map(k => `<option value="${k}" data-t="op.kind.${k}"></option>`).join('')}</select>
          <label for="op-file" data-t="op.file"></label>
          <input id="op-file" type="file" accept=".csv,.gz,.xlsx,.geojson,.json">
          <span class="op-checks"><label><input type="checkbox" id="op-replace"> <span data-t="op.replace"></span></label>
          <label><input type="checkbox" id="op-dry"> <span data-t="op.dryRun"></span></label></span>
          <button class="primary" type="submit" id="op-send" data-t="op.send"></button>
        </form>
        <div id="op-progress" class="noprint" hidden><p role="status" data-t="op.sending"></p><div class="progress"><div class="indeterminate"></div></div></div>
        <div id="op-result" aria-live="polite"></div>
      </section>
      <section class="card" aria-labelledby="op-exp-h"><h2 id="op-exp-h" data-t="op.exports"></h2>
        <p class="muted" data-t="op.exportsHelp"></p><div id="op-exports"></div></section>
      </div>
      <section class="card" aria-labelledby="op-closed-h"><h2 id="op-closed-h" data-t="op.closed"></h2>
        <div id="op-closed"><p class="muted" data-t="common.loading"></p></div></section>
      </div>
      <section class="card" aria-labelledby="op-net-h"><h2 id="op-net-h" data-t="op.network"></h2>
        <p><label for="op-list" data-t="op.list"></label>
          <select id="op-list">${Object.keys(LISTS).map(k => `<option value="${k}" data-t="op.list.${k}"></option>`).join('')}</select></p>
        <div id="op-table" class="op-scroll"></div>
        <p class="op-pager"><button type="button" id="op-prev" data-t="op.prev"></button> <span id="op-pageinfo"></span>
          <button type="button" id="op-next" data-t="op.next"></button></p>
      </section>
      </div>
      <p class="card muted" id="op-choose" hidden data-t="op.chooseFirst"></p></div>`;
    ctx.translate(main);
    const $ = (s) => main.querySelector(s);

    const refresh = () => {
      const ready = !!st.op;
      $('#op-body').hidden = !ready;
      $('#op-choose').hidden = ready;
      if (!ready) return;
      loadList();
      renderExports();
      loadClosed();
    };

    // The list of the network, paginated, with row delete.
    async function loadList() {
      const L = LISTS[st.list];
      const box = $('#op-table');
      box.innerHTML = `<p class="muted">${t('common.loading')}</p>`;
      let page;
      try {
        page = await get(`${L.path}?operator=${encodeURIComponent(st.op)}&limit=${PAGE}&offset=${st.offset}`);
      } catch (err) { box.innerHTML = ''; ctx.showError(err); return; }
      if (!current()) return;
      const items = page.items || [];
      if (items.length === 0 && st.offset > 0 && page.total > 0) { st.offset = Math.max(0, st.offset - PAGE); loadList(); return; }
      box.innerHTML = items.length === 0 ? `<p class="muted">${t('op.empty')}</p>` :
        `<table id="op-net-table"><thead><tr>${L.cols.map(c => `<th class="${c[2] || ''}">${t(c[0])}</th>`).join('')}<th>${t('op.c.action')}</th></tr></thead><tbody>` +
        items.map(r => `<tr data-id="${esc(L.id(r))}">${L.cols.map(c => `<td class="${c[2] || ''}">${c[1](r)}</td>`).join('')}` +
          `<td><button type="button" class="op-del" data-id="${esc(L.id(r))}" aria-label="${esc(t('op.delete') + ' ' + L.id(r))}">${t('op.delete')}</button></td></tr>`).join('') +
        `</tbody></table>`;
      $('#op-pageinfo').textContent = page.total ? t('op.page', {from: fmt(st.offset + 1), to: fmt(st.offset + items.length), total: fmt(page.total)}) : '';
      $('#op-prev').disabled = st.offset === 0;
      $('#op-next').disabled = st.offset + items.length >= page.total;
      for (const b of box.querySelectorAll('.op-del')) {
        b.onclick = async () => {
          const id = b.dataset.id;
          if (!window.confirm(t('op.confirmDelete', {id}))) return;
          try {
            await del(L.del + encodeURIComponent(id));
            ctx.toast(t('op.deleted', {id}));
            loadList();
          } catch (err) { ctx.showError(err); }
        };
      }
    }

    function renderExports() {
      const link = (view, f) => {
        const q = new URLSearchParams({view, format: f});
        if (view === 'operator' && !bound) q.set('operator', st.op);
        return `<a class="button" id="op-exp-${view}-${f}" href="/api/v1/exports/uncovered?${q}" download>${f.toUpperCase()}</a>`;
      };
      $('#op-exports').innerHTML = ['operator', 'no_network'].map(v =>
        `<p class="op-exp"><span>${t('op.view.' + v)}${v === 'operator' ? ' (' + esc(st.op) + ')' : ''}:</span> ${FORMATS.map(f => link(v, f)).join(' ')}</p>`).join('');
    }

    // The gaps the network closed: the two newest coverage runs (what-ifs
    // left out) compared by the API.
    async function loadClosed() {
      const box = $('#op-closed');
      box.innerHTML = `<p class="muted">${t('common.loading')}</p>`;
      try {
        const runs = (await get('/api/v1/coverage/runs?limit=50')).runs.filter(r => !r.what_if_sectors?.length);
        if (!current()) return;
        if (runs.length < 2) { box.innerHTML = `<p class="muted" id="op-closed-none">${t('op.closedNone')}</p>`; return; }
        const c = await get(`/api/v1/coverage/runs/${runs[0].id}/closed?since=${runs[1].id}&operator=${encodeURIComponent(st.op)}&limit=200`);
        if (!current()) return;
        const T = c.totals;
        const n = (v) => v === null || v === undefined ? `<span class="muted">${t('op.withheld')}</span>` : fmt(v);
        box.innerHTML = `<p class="muted">${esc(t('op.closedHelp', {run: c.run_id, since: c.since_run_id}))}</p>
          <p id="op-closed-total"><b>${esc(t('op.closedTotal', {cells: fmt(T.cells), gaps: fmt(T.gap_cells), households: fmt(T.households),
            t1: fmt(T.students_t1), t2: fmt(T.students_t2), t3: fmt(T.students_t3), before: fmt(T.unconnected_students_before), after: fmt(T.unconnected_students_after)}))}</b></p>` +
          (T.suppressed_cells ? `<p class="muted">${esc(t('op.closedSuppressed', {n: fmt(T.suppressed_cells), k: c.privacy_k}))}</p>` : '') +
          (c.truncated ? `<p class="muted">${esc(t('op.closedTruncated', {n: c.cells.length}))}</p>` : '') +
          (c.cells.length === 0 ? `<p class="muted">${t('op.closedEmpty')}</p>` :
            `<div class="op-scroll"><table id="op-closed-table"><thead><tr><th>${t('op.k.h3')}</th><th>${t('op.k.area')}</th><th class="n">${t('op.k.households')}</th>
            <th class="n">${t('op.k.students')}</th><th class="n">${t('op.k.unconnected')}</th><th class="n">${t('op.k.schools')}</th><th>${t('op.k.wasGap')}</th></tr></thead><tbody>` +
            c.cells.map(x => `<tr data-h3="${esc(x.h3)}"><td><code>${esc(x.h3)}</code></td><td>${esc(x.area_code)}</td><td class="n">${n(x.households)}</td>
              <td class="n">${x.suppressed ? n(null) : `${fmt(x.students_t1)} / ${fmt(x.students_t2)} / ${fmt(x.students_t3)}`}</td>
              <td class="n">${x.suppressed ? n(null) : `${fmt(x.unconnected_students_before)} → ${fmt(x.unconnected_students_after)}`}</td>
              <td class="n">${fmt(x.schools)}</td><td>${x.was_gap ? t('op.yes') : '—'}</td></tr>`).join('') + `</tbody></table></div>`);
      } catch (err) {
        box.innerHTML = `<p class="error">${esc(err.message)}</p>`;
      }
    }

    // Upload: multipart part "file"; every error of a 422 in a table.
    $('#op-upload').onsubmit = async (ev) => {
      ev.preventDefault();
      const out = $('#op-result');
      const file = $('#op-file').files[0];
      if (!file) { out.innerHTML = `<p class="error" role="alert">${t('op.noFile')}</p>`; return; }
      const kind = $('#op-kind').value;
      const q = new URLSearchParams();
      if (!bound) q.set('operator', st.op);
      if ($('#op-replace').checked) q.set('replace', 'true');
      if ($('#op-dry').checked) q.set('dry_run', 'true');
      const body = new FormData();
      body.append('file', file, file.name);
      out.innerHTML = '';
      $('#op-progress').hidden = false;
      $('#op-send').disabled = true;
      try {
        const r = await api('POST', `/api/v1/imports/${kind}?${q}`, body);
        const msg = t(r.dry_run ? 'op.okDry' : 'op.ok', {inserted: fmt(r.inserted), rows: fmt(r.rows), file: r.file});
        out.innerHTML = `<p class="ok" id="op-ok" role="status">${esc(msg)}</p>` +
          (r.warnings?.length ? `<h3>${t('op.warnings')}</h3>` + problemTable(r.warnings, 'op-warnings') : '');
        if (!r.dry_run) { st.offset = 0; loadList(); }
      } catch (err) {
        const details = err.details || [];
        out.innerHTML = `<div class="op-failed" role="alert"><p class="error"><b id="op-nothing">${t('op.failed')}</b> ${esc(err.message)}</p>` +
          (details.length ? `<p>${esc(t('op.failedCount', {n: fmt(details.length)}))}</p>` + problemTable(details, 'op-errors') : '') + `</div>`;
      } finally {
        $('#op-progress').hidden = true;
        $('#op-send').disabled = false;
      }
    };

    $('#op-list').onchange = () => { st.list = $('#op-list').value; st.offset = 0; loadList(); };
    $('#op-prev').onclick = () => { st.offset = Math.max(0, st.offset - PAGE); loadList(); };
    $('#op-next').onclick = () => { st.offset += PAGE; loadList(); };
    if (!bound) {
      const sel = $('#op-operator');
      sel.value = st.op;
      sel.onchange = () => { st.op = sel.value; st.offset = 0; sessionStorage.setItem('gapmap.op.operator', st.op); $('#op-result').innerHTML = ''; refresh(); };
    }
    refresh();
  },
  leave() { generation++; },
};

function problemTable(rows, id) {
  return `<div class="op-scroll"><table id="${id}" class="op-problems"><thead><tr><th>${t('op.col.file')}</th><th class="n">${t('op.col.row')}</th>
    <th>${t('op.col.column')}</th><th>${t('op.col.value')}</th><th>${t('op.col.reason')}</th></tr></thead><tbody>` +
    rows.map(d => `<tr><td>${esc(d.file)}</td><td class="n">${d.row ? fmt(d.row) : '—'}</td><td>${esc(d.column)}</td><td><code>${esc(d.value)}</code></td><td>${esc(d.reason)}</td></tr>`).join('') +
    `</tbody></table></div>`;
}
