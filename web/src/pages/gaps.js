// Gaps and plan: the ranked gap areas of the latest coverage run as a
// sortable, filterable, paginated table linked both ways to a small map;
// the planner (K sites or a budget → proposed sites and a chart of
// cumulative beneficiaries against cost); what-if with a site placed by
// clicking the map; the uncovered-points exports.
import {Map, NavigationControl, setWorkerUrl} from 'maplibre-gl';
import {Chart, LineController, LineElement, PointElement, LinearScale, Tooltip, Filler} from 'chart.js';
import {t, fmt, addStrings} from '../i18n.js';
import {get, post, pollJob} from '../api.js';
import {esc} from '../html.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Filler);

addStrings({
  'gaps.title': ['Các vùng lõm sóng', 'Gap areas'],
  'gaps.run': ['Lượt phân tích', 'Coverage run'],
  'gaps.norun': ['Chưa có lượt phân tích vùng phủ nào.', 'No coverage run yet.'],
  'gaps.filters': ['Lọc', 'Filters'],
  'gaps.area': ['Mã địa bàn', 'Area code'],
  'gaps.operator': ['Nhà mạng', 'Operator'],
  'gaps.any': ['Tất cả', 'Any'],
  'gaps.minben': ['Số người hưởng lợi tối thiểu', 'Minimum beneficiaries'],
  'gaps.apply': ['Lọc', 'Filter'],
  'gaps.clear': ['Bỏ lọc', 'Clear'],
  'gaps.pagesize': ['Số dòng mỗi trang', 'Rows per page'],
  'gaps.prev': ['← Trang trước', '← Previous'],
  'gaps.next': ['Trang sau →', 'Next →'],
  'gaps.page': ['{from}–{to} trên {total}', '{from}–{to} of {total}'],
  'gaps.none': ['Không có vùng lõm sóng nào khớp bộ lọc.', 'No gap area matches the filters.'],
  'gaps.sortby': ['Sắp xếp theo cột này', 'Sort by this column'],
  'gaps.col.rank': ['Hạng', 'Rank'],
  'gaps.col.gap_id': ['Vùng lõm', 'Gap'],
  'gaps.col.area_code': ['Địa bàn', 'Area'],
  'gaps.col.households': ['Hộ', 'Households'],
  'gaps.col.beneficiaries': ['Hưởng lợi', 'Benefit'],
  'gaps.col.weighted_beneficiaries': ['Trọng số', 'Weighted'],
  'gaps.col.nearest_4g_m': ['Cách 4G (m)', '4G at (m)'],
  'gaps.col.option': ['Giải pháp', 'Option'],
  'gaps.col.cost_vnd': ['Chi phí (triệu đồng)', 'Cost (million VND)'],
  'gaps.col.score': ['Điểm', 'Score'],
  'gaps.withheld': ['ẩn', 'withheld'],
  'gaps.pick': ['Bấm vào một dòng của bảng hoặc một vùng lõm trên bản đồ để xem chi tiết.', 'Click a row of the table or a gap on the map for its details.'],
  'gaps.selected': ['Vùng lõm đã chọn', 'Selected gap'],
  'gaps.notonpage': ['Vùng lõm {id} (hạng {rank}) không ở trang này của bảng.', 'Gap {id} (rank {rank}) is not on this page of the table.'],
  'gaps.map': ['Bản đồ các vùng lõm sóng', 'Map of the gap areas'],
  'gaps.export': ['Xuất các điểm chưa được phủ sóng', 'Export the uncovered points'],
  'plan.title': ['Kế hoạch xây trạm', 'Build-out plan'],
  'plan.by': ['Lập kế hoạch theo', 'Plan by'],
  'plan.bysites': ['Số trạm mới (K)', 'Number of new sites (K)'],
  'plan.bybudget': ['Ngân sách (đồng)', 'Budget (VND)'],
  'plan.value': ['Giá trị', 'Value'],
  'plan.run': ['Lập kế hoạch', 'Make the plan'],
  'plan.running': ['Đang lập kế hoạch…', 'Planning…'],
  'plan.done': ['Kế hoạch có {n} trạm mới, chi phí {cost} đồng, {ben} người hưởng lợi (có trọng số).', 'The plan has {n} new sites, cost {cost} VND, {ben} weighted beneficiaries.'],
  'plan.chart': ['Người hưởng lợi cộng dồn theo chi phí cộng dồn', 'Cumulative beneficiaries against cumulative cost'],
  'plan.cost': ['Chi phí cộng dồn (triệu đồng)', 'Cumulative cost (million VND)'],
  'plan.ben': ['Người hưởng lợi cộng dồn (có trọng số)', 'Cumulative beneficiaries (weighted)'],
  'plan.site': ['Trạm', 'Site'],
  'plan.sites': ['Các trạm đề xuất', 'Proposed sites'],
  'whatif.title': ['Giả định: thêm một trạm', 'What-if: add a site'],
  'whatif.place': ['Chọn vị trí trên bản đồ', 'Pick the place on the map'],
  'whatif.placing': ['Bấm vào bản đồ để đặt trạm…', 'Click the map to place the site…'],
  'whatif.at': ['Vị trí', 'Position'],
  'whatif.noplace': ['chưa chọn', 'not chosen'],
  'whatif.band': ['Băng tần (MHz)', 'Band (MHz)'],
  'whatif.range': ['Bán kính phủ (m, 0: theo mô hình)', 'Range (m, 0: the model’s)'],
  'whatif.run': ['Tính giả định', 'Run the what-if'],
  'whatif.running': ['Đang tính giả định…', 'Running the what-if…'],
  'whatif.before': ['Trước', 'Before'],
  'whatif.after': ['Sau', 'After'],
  'whatif.weighted': ['Người chưa kết nối (có trọng số)', 'Unconnected (weighted)'],
  'whatif.gapareas': ['Số vùng lõm sóng', 'Gap areas'],
  'whatif.needplace': ['Hãy chọn vị trí trạm trên bản đồ trước.', 'Pick the site’s place on the map first.'],
  'job.done': ['Xong', 'Done'],
  'job.failed': ['Công việc không thành công', 'The job failed'],
});

const cols = [
  // key, sort key of the API (null: not sortable by the API), numeric
  ['rank', 'rank', true], ['gap_id', null, false], ['area_code', null, false], ['households', 'households', true],
  ['beneficiaries', 'beneficiaries', true], ['weighted_beneficiaries', 'weighted_beneficiaries', true],
  ['nearest_4g_m', 'nearest_4g_m', true], ['option', null, false], ['cost_vnd', 'cost_vnd', true], ['score', 'score', true],
];
const operators = ['viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile'];
const formats = ['csv', 'xlsx', 'geojson', 'kml'];

let map = null;
let chart = null;
let alive = 0; // the render in progress (a later render or leave() ends it)


export const gapsPage = {
  path: '#/gaps',
  nav: 'nav.gaps',
  roles: ['planner', 'operator', 'officer', 'viewer'],
  async render(main, ctx) {
    const me = ++alive;
    const live = () => alive === me;
    window.gapmap.gaps = null;
    const role = ctx.user.role;
    const planner = role === 'planner' || role === 'admin';
    const exporter = role !== 'officer';
    const st = {sort: 'rank', order: 'asc', limit: 10, offset: 0, area: '', operator: '', min: 0, rows: [], total: 0, selected: null, run: null, place: null, placing: false};
    main.innerHTML = `<div class="gaps-grid"><div class="gaps-main">
      <section class="card gaps-list" aria-labelledby="gaps-h">
        <h1 id="gaps-h"><span data-t="gaps.title"></span> <small class="muted"><span data-t="gaps.run"></span> <b id="gaps-run">…</b></small></h1>
        <form id="gaps-filters" class="gaps-filters" aria-label="filters">
          <label><span data-t="gaps.area"></span> <input id="gaps-area" size="10" inputmode="numeric"></label>
          <label><span data-t="gaps.operator"></span> <select id="gaps-operator"><option value="" data-t="gaps.any"></option>${operators.map(o => `<option value="${o}">${o}</option>`).join('')}</select></label>
          <label><span data-t="gaps.minben"></span> <input id="gaps-min" type="number" min="0" step="1" value="0" size="6"></label>
          <label><span data-t="gaps.pagesize"></span> <select id="gaps-limit">${[10, 25, 50, 100].map(n => `<option>${n}</option>`).join('')}</select></label>
          <button type="submit" class="primary" id="gaps-apply" data-t="gaps.apply"></button>
          <button type="button" id="gaps-clear" data-t="gaps.clear"></button>
        </form>
        <div class="gaps-tablewrap" tabindex="0" role="region" aria-labelledby="gaps-h"><table id="gaps-table" aria-labelledby="gaps-h"><thead><tr>${cols.map(([k, s, n]) =>
          `<th scope="col" class="${n ? 'n' : ''}" data-col="${k}">${s ? `<button type="button" class="sort" data-sort="${s}" data-t-title="gaps.sortby"><span data-t="gaps.col.${k}"></span><i aria-hidden="true"></i></button>` : `<span data-t="gaps.col.${k}"></span>`}</th>`).join('')}</tr></thead>
          <tbody></tbody></table></div>
        <p class="muted" id="gaps-loading" data-t="common.loading" hidden></p>
        <nav class="gaps-pager" aria-label="pages"><button type="button" id="gaps-prev" data-t="gaps.prev"></button>
          <span id="gaps-pageinfo" aria-live="polite"></span><button type="button" id="gaps-next" data-t="gaps.next"></button></nav>
        ${exporter ? `<div class="gaps-exports noprint" id="gaps-exports"><span data-t="gaps.export"></span>: ${formats.map(f => `<a class="button" id="export-${f}" data-format="${f}" download href="#">${f.toUpperCase()}</a>`).join(' ')}</div>` : ''}
      </section>
        ${planner ? `<form class="card" id="plan-form" aria-labelledby="plan-h"><h2 id="plan-h" data-t="plan.title"></h2>
          <fieldset><legend data-t="plan.by"></legend>
            <label><input type="radio" name="plan-by" value="sites" checked> <span data-t="plan.bysites"></span></label>
            <label><input type="radio" name="plan-by" value="budget"> <span data-t="plan.bybudget"></span></label></fieldset>
          <label><span data-t="plan.value"></span> <input id="plan-value" type="number" min="1" step="1" value="5" required></label>
          <button class="primary" type="submit" id="plan-run" data-t="plan.run"></button>
          <div id="plan-progress" hidden><p id="plan-phase" aria-live="polite"></p><div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div></div></div></div>
          <p id="plan-summary"></p>
          <div class="plan-chart" hidden><canvas id="plan-chart" data-t-title="plan.chart" role="img"></canvas></div>
          <ol id="plan-sites" class="plan-sites"></ol></form>` : ''}
      </div>
      <section class="gaps-side">
        <div id="gaps-map" role="region" data-t-title="gaps.map" aria-label="map"></div>
        <div class="card" id="gaps-details" aria-live="polite"><p class="muted" data-t="gaps.pick"></p></div>
        ${planner ? `<form class="card" id="whatif-form" aria-labelledby="whatif-h"><h2 id="whatif-h" data-t="whatif.title"></h2>
          <p><button type="button" id="whatif-place" data-t="whatif.place" aria-pressed="false"></button>
            <span data-t="whatif.at"></span>: <b id="whatif-at" data-t="whatif.noplace"></b></p>
          <label><span data-t="gaps.operator"></span> <select id="whatif-operator">${operators.map(o => `<option>${o}</option>`).join('')}</select></label>
          <label><span data-t="whatif.band"></span> <input id="whatif-band" type="number" min="1" step="1" value="1800"></label>
          <label><span data-t="whatif.range"></span> <input id="whatif-range" type="number" min="0" step="100" value="0"></label>
          <button class="primary" type="submit" id="whatif-run" data-t="whatif.run"></button>
          <div id="whatif-progress" hidden><p id="whatif-phase" aria-live="polite"></p><div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div></div></div></div>
          <table id="whatif-result" hidden><thead><tr><th></th><th class="n" data-t="whatif.before"></th><th class="n" data-t="whatif.after"></th></tr></thead><tbody></tbody></table>
        </form>` : ''}
      </section></div>`;
    ctx.translate(main);
    const $ = (s) => main.querySelector(s);
    $('#gaps-limit').value = String(st.limit);

    // The latest run and the gap tiles.
    let tj;
    try {
      tj = await get('/tiles/gaps.json');
    } catch (err) {
      if (err.status === 404) { $('.gaps-list').insertAdjacentHTML('beforeend', `<p class="card">${esc(t('gaps.norun'))}</p>`); return; }
      throw err;
    }
    if (!live()) return;
    st.run = tj.run;
    $('#gaps-run').textContent = tj.run;

    // The table.
    const query = () => {
      const q = new URLSearchParams({sort: st.sort, order: st.order, limit: st.limit, offset: st.offset});
      if (st.area) q.set('area', st.area);
      if (st.operator) q.set('operator', st.operator);
      if (st.min > 0) q.set('min_beneficiaries', st.min);
      return q;
    };
    const exportsHref = () => {
      for (const a of main.querySelectorAll('#gaps-exports a')) {
        const q = new URLSearchParams({format: a.dataset.format});
        if (st.area) q.set('area', st.area);
        a.href = '/api/v1/exports/uncovered?' + q;
      }
    };
    const cell = (g, k) => {
      const v = g[k];
      switch (k) {
        case 'gap_id': case 'area_code': case 'option': return esc(v);
        case 'households': case 'beneficiaries': return v === null ? `<span class="muted">${esc(t('gaps.withheld'))}</span>` : fmt(v);
        case 'weighted_beneficiaries': case 'score': return fmt(v, 2);
        case 'cost_vnd': return fmt(v / 1e6, 1);
        default: return fmt(v);
      }
    };
    const draw = () => {
      const body = $('#gaps-table tbody');
      body.innerHTML = st.rows.length ? st.rows.map(g => `<tr data-gap="${esc(g.gap_id)}" tabindex="0" aria-selected="${g.gap_id === st.selected}">${cols.map(([k, , n]) => `<td class="${n ? 'n' : ''}">${cell(g, k)}</td>`).join('')}</tr>`).join('')
        : `<tr><td colspan="${cols.length}" class="muted">${esc(t('gaps.none'))}</td></tr>`;
      for (const b of main.querySelectorAll('#gaps-table button.sort')) {
        const on = b.dataset.sort === st.sort;
        b.closest('th').setAttribute('aria-sort', on ? (st.order === 'asc' ? 'ascending' : 'descending') : 'none');
        b.querySelector('i').textContent = on ? (st.order === 'asc' ? ' ▲' : ' ▼') : '';
      }
      const from = st.total ? st.offset + 1 : 0;
      $('#gaps-pageinfo').textContent = t('gaps.page', {from: fmt(from), to: fmt(st.offset + st.rows.length), total: fmt(st.total)});
      $('#gaps-prev').disabled = st.offset === 0;
      $('#gaps-next').disabled = st.offset + st.limit >= st.total;
      window.gapmap.gaps = {rows: st.rows.map(g => g.gap_id), total: st.total, offset: st.offset, selected: st.selected};
    };
    const load = async () => {
      $('#gaps-loading').hidden = false;
      $('#gaps-table').setAttribute('aria-busy', 'true');
      try {
        const r = await get(`/api/v1/coverage/runs/${st.run}/gaps?` + query());
        st.rows = r.gaps; st.total = r.total;
        draw();
        exportsHref();
      } catch (err) { if (live()) ctx.showError(err); } finally {
        $('#gaps-loading').hidden = true;
        $('#gaps-table').removeAttribute('aria-busy');
      }
    };
    $('#gaps-table thead').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.sort');
      if (!b) return;
      if (st.sort === b.dataset.sort) st.order = st.order === 'asc' ? 'desc' : 'asc';
      else { st.sort = b.dataset.sort; st.order = b.dataset.sort === 'rank' || b.dataset.sort === 'nearest_4g_m' || b.dataset.sort === 'cost_vnd' ? 'asc' : 'desc'; }
      st.offset = 0;
      load();
    });
    $('#gaps-filters').onsubmit = (ev) => {
      ev.preventDefault();
      st.area = $('#gaps-area').value.trim();
      st.operator = $('#gaps-operator').value;
      st.min = Math.max(0, parseInt($('#gaps-min').value, 10) || 0);
      st.limit = parseInt($('#gaps-limit').value, 10) || 10;
      st.offset = 0;
      load();
    };
    $('#gaps-clear').onclick = () => {
      $('#gaps-area').value = ''; $('#gaps-operator').value = ''; $('#gaps-min').value = '0';
      $('#gaps-filters').requestSubmit();
    };
    $('#gaps-limit').onchange = () => $('#gaps-filters').requestSubmit();
    $('#gaps-prev').onclick = () => { st.offset = Math.max(0, st.offset - st.limit); load(); };
    $('#gaps-next').onclick = () => { st.offset += st.limit; load(); };

    // Selecting a gap: the row, the map's highlight, the details.
    const details = (g) => {
      const box = $('#gaps-details');
      if (!g) return;
      const row = (k, v) => `<tr><th>${esc(t(k))}</th><td class="n">${v}</td></tr>`;
      box.innerHTML = `<h2>${esc(t('gaps.selected'))}: <code id="gaps-sel-id">${esc(g.gap_id)}</code></h2><table>` +
        row('gaps.col.rank', fmt(g.rank)) + row('gaps.col.area_code', esc(g.area_code)) + row('gaps.col.households', cell(g, 'households')) +
        row('gaps.col.beneficiaries', cell(g, 'beneficiaries')) + row('gaps.col.weighted_beneficiaries', fmt(g.weighted_beneficiaries, 2)) +
        row('gaps.col.nearest_4g_m', fmt(g.nearest_4g_m)) + row('gaps.col.option', esc(g.option)) + row('gaps.col.cost_vnd', fmt(g.cost_vnd / 1e6, 1)) + `</table>`;
    };
    const highlight = (id) => {
      st.selected = id;
      for (const tr of main.querySelectorAll('#gaps-table tbody tr[data-gap]')) tr.setAttribute('aria-selected', String(tr.dataset.gap === id));
      if (map?.getLayer('gaps-sel')) map.setFilter('gaps-sel', ['==', ['get', 'gap_id'], id || '']);
      if (window.gapmap.gaps) window.gapmap.gaps.selected = id;
    };
    const selectRow = (g) => {
      highlight(g.gap_id);
      details(g);
      if (map && g.centroid) map.flyTo({center: g.centroid, zoom: Math.max(map.getZoom(), 11), duration: 600});
    };
    const rowClick = (ev) => {
      const tr = ev.target.closest('tr[data-gap]');
      if (!tr) return;
      if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      const g = st.rows.find(r => r.gap_id === tr.dataset.gap);
      if (g) selectRow(g);
    };
    $('#gaps-table tbody').addEventListener('click', rowClick);
    $('#gaps-table tbody').addEventListener('keydown', rowClick);
    const selectFromMap = async (p) => {
      let g = st.rows.find(r => r.gap_id === p.gap_id);
      if (!g && st.sort === 'rank' && st.order === 'asc' && !st.area && !st.operator && !st.min && p.rank > 0) {
        st.offset = Math.floor((p.rank - 1) / st.limit) * st.limit; // its page of the ranked table
        await load();
        g = st.rows.find(r => r.gap_id === p.gap_id);
      }
      highlight(p.gap_id);
      if (g) {
        details(g);
        main.querySelector(`#gaps-table tr[data-gap="${CSS.escape(g.gap_id)}"]`)?.scrollIntoView({block: 'nearest'});
      } else {
        $('#gaps-details').textContent = t('gaps.notonpage', {id: p.gap_id, rank: p.rank});
      }
    };

    await load();
    if (!live()) return;

    // The map.
    setWorkerUrl(location.origin + '/assets/maplibre-gl-worker.mjs');
    const b = tj.bounds || [102, 8, 110, 23.5];
    map = new Map({container: 'gaps-map', attributionControl: false, bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: {padding: 10},
      style: {version: 8,
        sources: {
          areas: {type: 'vector', tiles: [location.origin + '/tiles/areas/{z}/{x}/{y}.mvt'], minzoom: 0, maxzoom: 14},
          gaps: {type: 'vector', tiles: tj.tiles, minzoom: 0, maxzoom: 14},
          proposed: {type: 'geojson', data: {type: 'FeatureCollection', features: []}},
          whatif: {type: 'geojson', data: {type: 'FeatureCollection', features: []}},
        },
        layers: [
          {id: 'background', type: 'background', paint: {'background-color': '#eef2f6'}},
          {id: 'areas-fill', type: 'fill', source: 'areas', 'source-layer': 'areas', paint: {'fill-color': '#ffffff', 'fill-opacity': 0.6}},
          {id: 'areas-line', type: 'line', source: 'areas', 'source-layer': 'areas', paint: {'line-color': '#94a3b8', 'line-width': 0.6}},
          {id: 'gaps-fill', type: 'fill', source: 'gaps', 'source-layer': 'gaps', paint: {'fill-color': '#dc2626', 'fill-opacity': 0.45}},
          {id: 'gaps-line', type: 'line', source: 'gaps', 'source-layer': 'gaps', paint: {'line-color': '#991b1b', 'line-width': 0.8}},
          {id: 'gaps-sel', type: 'line', source: 'gaps', 'source-layer': 'gaps', filter: ['==', ['get', 'gap_id'], ''], paint: {'line-color': '#0b6bcb', 'line-width': 3}},
          {id: 'proposed', type: 'circle', source: 'proposed', paint: {'circle-radius': 7, 'circle-color': '#0b6bcb', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2}},
          {id: 'whatif', type: 'circle', source: 'whatif', paint: {'circle-radius': 8, 'circle-color': '#16a34a', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2}},
        ]}});
    map.addControl(new NavigationControl({showCompass: false}), 'top-left');
    window.gapmap.map = map;
    window.gapmap.run = st.run;
    map.on('mouseenter', 'gaps-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'gaps-fill', () => { map.getCanvas().style.cursor = st.placing ? 'crosshair' : ''; });
    map.on('click', (e) => {
      if (st.placing) {
        st.place = {lat: +e.lngLat.lat.toFixed(6), lon: +e.lngLat.lng.toFixed(6)};
        st.placing = false;
        $('#whatif-place').setAttribute('aria-pressed', 'false');
        $('#whatif-place').textContent = t('whatif.place');
        $('#whatif-at').textContent = `${st.place.lat.toFixed(5)}, ${st.place.lon.toFixed(5)}`;
        map.getCanvas().style.cursor = '';
        map.getSource('whatif').setData({type: 'FeatureCollection', features: [{type: 'Feature', properties: {}, geometry: {type: 'Point', coordinates: [st.place.lon, st.place.lat]}}]});
        return;
      }
      const f = map.queryRenderedFeatures(e.point, {layers: ['gaps-fill']})[0];
      if (f) selectFromMap(f.properties);
    });

    if (!planner) return;

    // The planner.
    const progress = (box, phase, j) => {
      $(box).hidden = false;
      const pct = Math.max(0, Math.min(100, j.percent || 0));
      $(`${box} .progress`).setAttribute('aria-valuenow', String(Math.round(pct)));
      $(`${box} .progress > div`).style.width = pct + '%';
      $(phase).textContent = `${t(box === '#plan-progress' ? 'plan.running' : 'whatif.running')} ${j.phase ? '(' + j.phase + ')' : ''} ${fmt(pct)} %`;
    };
    const runJob = async (job, box, phase) => {
      progress(box, phase, job);
      const done = await pollJob(job.id, (j) => { if (live()) progress(box, phase, j); }, 400);
      if (done.status !== 'succeeded') throw new Error(done.error || t('job.failed'));
      $(phase).textContent = `${t('job.done')} (${fmt(100)} %)`;
      return done;
    };
    const drawPlan = (steps) => {
      const feats = steps.map(s => ({type: 'Feature', properties: {rank: s.rank, h3: s.h3}, geometry: {type: 'Point', coordinates: [s.lon, s.lat]}}));
      map.getSource('proposed').setData({type: 'FeatureCollection', features: feats});
      window.gapmap.proposed = steps.map(s => ({rank: s.rank, lat: s.lat, lon: s.lon}));
      $('#plan-sites').innerHTML = steps.map(s => `<li><button type="button" class="link" data-lon="${s.lon}" data-lat="${s.lat}">${esc(t('plan.site'))} ${s.rank}: ${esc(s.area_code)} · ${fmt(s.cost_vnd)} đ · +${fmt(s.marginal_weighted, 1)}</button></li>`).join('');
      if (steps.length) {
        const lons = steps.map(s => s.lon), lats = steps.map(s => s.lat);
        map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], {padding: 60, maxZoom: 11, duration: 0});
      }
      $('.plan-chart').hidden = false;
      chart?.destroy();
      const pts = [{x: 0, y: 0}, ...steps.map(s => ({x: s.cumulative_cost_vnd / 1e6, y: s.cumulative_weighted}))];
      chart = new Chart($('#plan-chart'), {type: 'line',
        data: {datasets: [{label: t('plan.ben'), data: pts, borderColor: '#0b6bcb', backgroundColor: 'rgba(11,107,203,.15)', fill: true, tension: 0}]},
        options: {animation: false, maintainAspectRatio: false, parsing: true,
          scales: {x: {type: 'linear', title: {display: true, text: t('plan.cost')}}, y: {type: 'linear', beginAtZero: true, title: {display: true, text: t('plan.ben')}}}}});
      const last = steps[steps.length - 1];
      $('#plan-summary').textContent = t('plan.done', {n: steps.length, cost: fmt(last?.cumulative_cost_vnd || 0), ben: fmt(last?.cumulative_weighted || 0, 1)});
    };
    $('#plan-sites').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-lon]');
      if (b) map.flyTo({center: [+b.dataset.lon, +b.dataset.lat], zoom: 12, duration: 600});
    });
    $('#plan-form').onsubmit = async (ev) => {
      ev.preventDefault();
      const by = main.querySelector('input[name=plan-by]:checked').value;
      const v = Number($('#plan-value').value);
      const btn = $('#plan-run');
      btn.disabled = true;
      $('#plan-summary').textContent = '';
      try {
        const job = await post('/api/v1/coverage/plan', by === 'sites' ? {sites: Math.round(v)} : {budget_vnd: v});
        const done = await runJob(job, '#plan-progress', '#plan-phase');
        if (!live()) return;
        let steps = done.result?.plan?.steps;
        if (!steps && done.result?.run_id) steps = (await get(`/api/v1/coverage/runs/${done.result.run_id}/plan`)).steps;
        drawPlan(steps || []);
      } catch (err) { ctx.showError(err); } finally { btn.disabled = false; }
    };

    // What-if.
    $('#whatif-place').onclick = () => {
      st.placing = !st.placing;
      $('#whatif-place').setAttribute('aria-pressed', String(st.placing));
      $('#whatif-place').textContent = t(st.placing ? 'whatif.placing' : 'whatif.place');
      map.getCanvas().style.cursor = st.placing ? 'crosshair' : '';
      if (st.placing) $('#gaps-map').scrollIntoView({block: 'nearest', behavior: 'instant'});
    };
    $('#whatif-form').onsubmit = async (ev) => {
      ev.preventDefault();
      if (!st.place) { ctx.toast(t('whatif.needplace'), true); return; }
      const btn = $('#whatif-run');
      btn.disabled = true;
      $('#whatif-result').hidden = true;
      try {
        const site = {operator: $('#whatif-operator').value, lat: st.place.lat, lon: st.place.lon, technology: '4G',
          band_mhz: parseInt($('#whatif-band').value, 10) || 0, range_m: Number($('#whatif-range').value) || 0};
        const job = await post('/api/v1/coverage/whatif', {sites: [site]});
        const done = await runJob(job, '#whatif-progress', '#whatif-phase');
        if (!live()) return;
        const r = done.result || {};
        const tr = (k, a, b, d) => `<tr><th>${esc(t(k))}</th><td class="n">${fmt(a, d)}</td><td class="n">${fmt(b, d)}</td></tr>`;
        $('#whatif-result tbody').innerHTML = tr('whatif.weighted', r.before?.weighted_unconnected, r.weighted_unconnected, 1) +
          tr('whatif.gapareas', r.before?.gap_areas, r.counts?.gap_areas, 0);
        $('#whatif-result').hidden = false;
        window.gapmap.whatif = {before: r.before?.weighted_unconnected, after: r.weighted_unconnected};
      } catch (err) { ctx.showError(err); } finally { btn.disabled = false; }
    };
  },
  leave() {
    alive++;
    chart?.destroy(); chart = null;
    map?.remove(); map = null;
  },
};
