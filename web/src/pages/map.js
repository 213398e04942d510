// The gap map: H3 cells coloured by unconnected tier 1–3 students (the
// resolution follows the zoom, from gapmap's own tiles), layers to switch
// (4G by operator, fiber, schools, sectors, gap areas, area boundaries), an
// area picker, the coverage run shown and selectable (planners start new
// ones here), and a side panel for what was clicked.
import {Map, NavigationControl, ScaleControl, setWorkerUrl} from 'maplibre-gl';
import {t, fmt, fmtDay, fold, addStrings} from '../i18n.js';
import {get, post, pollJob} from '../api.js';
import {esc} from '../html.js';

addStrings({
  'map.legend': ['Học sinh diện 1–3 chưa có kết nối', 'Tier 1–3 students without a connection'],
  'map.run': ['Lượt phân tích', 'Coverage run'],
  'map.norun': ['Chưa có lượt phân tích vùng phủ nào.', 'No coverage run yet.'],
  'map.click': ['Bấm vào một ô lục giác, trường, trạm hay vùng lõm sóng trên bản đồ để xem chi tiết.', 'Click a hexagon, school, sector or gap area on the map for its details.'],
  'map.cell': ['Ô H3', 'H3 cell'],
  'map.households': ['Hộ gia đình', 'Households'],
  'map.students_t1': ['Học sinh diện 1 (hộ nghèo)', 'Tier 1 students (poor)'],
  'map.students_t2': ['Học sinh diện 2 (cận nghèo)', 'Tier 2 students (near-poor)'],
  'map.students_t3': ['Học sinh diện 3 (khó khăn)', 'Tier 3 students (hardship)'],
  'map.unconnected': ['Chưa có 4G hay cáp quang (diện 1/2/3)', 'Without 4G or fiber (tier 1/2/3)'],
  'map.schools': ['Trường học', 'Schools'],
  'map.gap': ['Lõm sóng', 'Gap'],
  'map.suppressed': ['Ít hơn ngưỡng bảo mật: số liệu được ẩn', 'Below the privacy threshold: counts withheld'],
  'map.share4g': ['Tỉ lệ phủ 4G', '4G coverage share'],
  'map.sharefiber': ['Tỉ lệ trong tầm cáp quang', 'Fiber coverage share'],
  'map.share4gop': ['Tỉ lệ phủ 4G theo nhà mạng', '4G share by operator'],
  'map.newrun': ['Chạy phân tích mới', 'New coverage run'],
  'map.runstarted': ['Đã bắt đầu lượt phân tích mới.', 'A new coverage run has started.'],
  'map.rundone': ['Lượt phân tích {id} đã xong.', 'Coverage run {id} is done.'],
  'map.runfailed': ['Lượt phân tích không thành công: {msg}', 'The coverage run failed: {msg}'],
  'map.runof': ['Lượt {id} · ngày phân tích {day} · chạy lúc {date}', 'Run {id} · analysis date {day} · run at {date}'],
  'map.rundate': ['Ngày phân tích (không bắt buộc)', 'Analysis date (optional)'],
  'map.rundate.help': ['Trường và hộ được xếp vào địa bàn còn hiệu lực ngày này (mặc định hôm nay); ví dụ trước 1/7/2025 là địa bàn cấp huyện cũ.', 'Schools and homes go to the areas valid that day (default today); before 1 July 2025, say, the old district-era areas.'],
  'map.runday': ['Ngày phân tích', 'Analysis date'],
  'phase.reading': ['Đang đọc dữ liệu', 'Reading the data'],
  'phase.analysing': ['Đang phân tích vùng phủ', 'Analysing the coverage'],
  'phase.planning': ['Đang lập kế hoạch', 'Planning'],
  'phase.what-if': ['Đang thử phương án', 'Trying the what-if'],
  'phase.storing': ['Đang lưu kết quả', 'Storing the results'],
  'phase.done': ['Xong', 'Done'],
  'map.layers': ['Lớp bản đồ', 'Layers'],
  'layer.cells': ['Ô lục giác (học sinh chưa kết nối)', 'Hexagons (unconnected students)'],
  'layer.cover4g': ['Vùng phủ 4G của nhà mạng', '4G coverage of an operator'],
  'layer.operator': ['Nhà mạng', 'Operator'],
  'layer.fiber': ['Cáp quang (tuyến và điểm)', 'Fiber (routes and nodes)'],
  'layer.schools': ['Trường học (theo kết nối)', 'Schools (by connectivity)'],
  'layer.sectors': ['Trạm phát sóng (vùng phủ)', 'Base-station sectors'],
  'layer.gaps': ['Vùng lõm sóng', 'Gap areas'],
  'layer.areas': ['Ranh giới hành chính', 'Area boundaries'],
  'map.area': ['Tìm địa bàn', 'Find an area'],
  'map.areahint': ['Gõ tên, có dấu hay không dấu', 'Type a name, with or without diacritics'],
  'map.noarea': ['Không thấy địa bàn nào.', 'No area found.'],
  'map.nogeom': ['Địa bàn này chưa có ranh giới.', 'This area has no boundary.'],
  'level.province': ['Tỉnh', 'Province'],
  'level.district': ['Huyện', 'District'],
  'level.commune': ['Xã', 'Commune'],
  'map.school': ['Trường', 'School'],
  'map.level': ['Cấp học', 'Level'],
  'map.students': ['Học sinh', 'Students'],
  'map.internet': ['Internet khai báo', 'Declared Internet'],
  'map.connectivity': ['Kết nối (theo phân tích)', 'Connectivity (from the analysis)'],
  'map.ops4g': ['Nhà mạng có 4G', 'Operators with 4G'],
  'map.near4g': ['Cách trạm 4G gần nhất', 'Distance to the nearest 4G site'],
  'map.nearfiber': ['Cách cáp quang gần nhất', 'Distance to the nearest fiber'],
  'map.area_code': ['Mã địa bàn', 'Area code'],
  'map.sector': ['Trạm phát sóng', 'Sector'],
  'map.site': ['Trạm', 'Site'],
  'map.operator': ['Nhà mạng', 'Operator'],
  'map.technology': ['Công nghệ', 'Technology'],
  'map.band': ['Băng tần', 'Band'],
  'map.range': ['Bán kính phủ sóng', 'Range'],
  'map.modelled': ['(ước tính theo mô hình)', '(modelled)'],
  'map.azimuth': ['Hướng phát', 'Azimuth'],
  'map.beamwidth': ['Độ rộng búp sóng', 'Beamwidth'],
  'map.omni': ['Vô hướng', 'Omnidirectional'],
  'map.status': ['Trạng thái', 'Status'],
  'map.gaparea': ['Vùng lõm sóng', 'Gap area'],
  'map.rank': ['Hạng', 'Rank'],
  'map.environment': ['Môi trường', 'Environment'],
  'map.cells': ['Số ô', 'Cells'],
  'map.nodevice': ['Học sinh diện 1–3 chưa có thiết bị', 'Tier 1–3 students without a device'],
  'map.beneficiaries': ['Người hưởng lợi (có trọng số)', 'Weighted beneficiaries'],
  'map.option': ['Phương án', 'Option'],
  'map.cost': ['Chi phí', 'Cost'],
  'map.score': ['Điểm ưu tiên', 'Score'],
  'map.components': ['Thành phần của điểm', 'Score components'],
  'map.fibernode': ['Điểm cáp quang', 'Fiber node'],
  'map.fiberroute': ['Tuyến cáp quang', 'Fiber route'],
  'map.kind': ['Loại', 'Kind'],
  'slevel.primary': ['Tiểu học', 'Primary'],
  'slevel.lower': ['Trung học cơ sở', 'Lower secondary'],
  'slevel.upper': ['Trung học phổ thông', 'Upper secondary'],
  'slevel.gdnn_gdtx': ['Trung tâm GDNN-GDTX', 'Vocational and continuing education centre'],
  'slevel.vocational': ['Trung cấp', 'Vocational school'],
  'slevel.college': ['Cao đẳng', 'College'],
  'slevel.university': ['Đại học', 'University'],
  'conn.adsl': ['ADSL', 'ADSL'],
  'env.urban': ['Đô thị', 'Urban'],
  'env.suburban': ['Ven đô', 'Suburban'],
  'env.rural': ['Nông thôn', 'Rural'],
  'env.mountain': ['Miền núi', 'Mountain'],
  'opt.site': ['Trạm mới', 'New site'],
  'opt.fiber': ['Kéo cáp quang', 'Fiber'],
  'conn.fiber': ['Cáp quang', 'Fiber'],
  'conn.4g': ['4G', '4G'],
  'conn.3g': ['Chỉ 3G', '3G only'],
  'conn.2g': ['Chỉ 2G', '2G only'],
  'conn.none': ['Không có kết nối', 'No connection'],
  'comp.tier_weighted': ['Học sinh theo diện × trọng số (0/1/2/3)', 'Students by tier × weight (0/1/2/3)'],
  'comp.school_weighted': ['Trường học × trọng số', 'Schools × weight'],
  'comp.weighted_beneficiaries': ['Tổng người hưởng lợi có trọng số', 'Weighted beneficiaries'],
  'comp.area_km2': ['Diện tích (km²)', 'Area (km²)'],
  'comp.site_range_m': ['Bán kính trạm mới (m)', 'New site range (m)'],
  'comp.sites_needed': ['Số trạm cần', 'Sites needed'],
  'comp.site_unit_cost_vnd': ['Giá một trạm (đ)', 'Cost of one site (VND)'],
  'comp.site_cost_vnd': ['Chi phí trạm (đ)', 'Sites cost (VND)'],
  'comp.fiber_km': ['Khoảng cách tới cáp quang (km)', 'Distance to fiber (km)'],
  'comp.fiber_trunk_cost_vnd': ['Chi phí tuyến trục (đ)', 'Trunk cost (VND)'],
  'comp.premises': ['Số điểm đấu nối', 'Premises'],
  'comp.fiber_drop_cost_vnd': ['Chi phí kéo vào nhà (đ)', 'Drop cost (VND)'],
  'comp.fiber_cost_vnd': ['Chi phí cáp quang (đ)', 'Fiber cost (VND)'],
  'comp.option': ['Phương án rẻ hơn', 'Cheaper option'],
  'comp.cost_vnd': ['Chi phí phương án (đ)', 'Cost of the option (VND)'],
  'comp.cost_per_beneficiary_vnd': ['Chi phí trên một người hưởng lợi (đ)', 'Cost per beneficiary (VND)'],
  'comp.score': ['Điểm = người hưởng lợi / tỉ đồng', 'Score = beneficiaries per billion VND'],
});

const ramp = [[0, '#f1f5f9'], [1, '#fde68a'], [5, '#fdba74'], [20, '#f87171'], [50, '#b91c1c']];
const connColors = {fiber: '#15803d', '4g': '#2563eb', '3g': '#d97706', '2g': '#ea580c', none: '#dc2626'};
const opColor = '#7c3aed';

export function unconnectedExpr() {
  return ['+', ['coalesce', ['get', 'unconnected_students_t1'], 0], ['coalesce', ['get', 'unconnected_students_t2'], 0], ['coalesce', ['get', 'unconnected_students_t3'], 0]];
}

// The switchable layers: the checkbox key and the map layers it shows.
const LAYERS = [
  {key: 'cells', layers: ['cells'], on: true},
  {key: 'cover4g', layers: ['cover4g'], on: false},
  {key: 'gaps', layers: ['gaps-fill', 'gaps-line'], on: true},
  {key: 'fiber', layers: ['fiber-routes', 'fiber-nodes'], on: false},
  {key: 'sectors', layers: ['sectors-fill', 'sectors-line', 'sectors-point'], on: false},
  {key: 'schools', layers: ['schools'], on: true},
  {key: 'areas', layers: ['areas-line'], on: true},
];

const tileURL = (layer, run) => location.origin + `/tiles/${layer}/{z}/{x}/{y}.mvt` + (run ? `?run=${run}` : '');

function share4gExpr(op) {
  return ['coalesce', ['get', 'share_4g_' + op], 0];
}

// withBasemap puts gapmap's layers over the deployment's base map when one
// is configured (gapmap serve --basemap-style URL: a <meta> of the page);
// without one, the administrative areas are the base layer and nothing is
// requested from another host.
export async function withBasemap(ours) {
  const url = document.querySelector('meta[name="gapmap-basemap"]')?.content;
  if (!url) return ours;
  try {
    const base = await (await fetch(url)).json();
    return {...base, sources: {...base.sources, ...ours.sources},
      layers: [...base.layers, ...ours.layers.filter(l => l.id !== 'background' && l.id !== 'areas-fill')]};
  } catch {
    return ours; // the base map is unreachable: the areas stay the base
  }
}

function style(cells, bounds, vis, op) {
  const v = (key) => ({visibility: vis[key] ? 'visible' : 'none'});
  return {
    version: 8,
    sources: {
      areas: {type: 'vector', tiles: [tileURL('areas')], minzoom: 0, maxzoom: 14},
      cells: {type: 'vector', tiles: cells.tiles, minzoom: 0, maxzoom: 14},
      gaps: {type: 'vector', tiles: [tileURL('gaps', cells.run)], minzoom: 0, maxzoom: 14},
      schools: {type: 'vector', tiles: [tileURL('schools', cells.run)], minzoom: 0, maxzoom: 14},
      sectors: {type: 'vector', tiles: [tileURL('sectors')], minzoom: 0, maxzoom: 14},
      fiber: {type: 'vector', tiles: [tileURL('fiber')], minzoom: 0, maxzoom: 14},
    },
    layers: [
      {id: 'background', type: 'background', paint: {'background-color': '#eef2f6'}},
      {id: 'areas-fill', type: 'fill', source: 'areas', 'source-layer': 'areas', paint: {'fill-color': '#ffffff', 'fill-opacity': 0.6}},
      {id: 'cells', type: 'fill', source: 'cells', 'source-layer': 'cells', layout: v('cells'),
        paint: {'fill-color': ['interpolate', ['linear'], unconnectedExpr(), ...ramp.flat()],
          'fill-opacity': ['case', ['get', 'suppressed'], 0.25, 0.75], 'fill-outline-color': '#94a3b8'}},
      {id: 'cover4g', type: 'fill', source: 'cells', 'source-layer': 'cells', layout: v('cover4g'),
        filter: ['>', share4gExpr(op), 0],
        paint: {'fill-color': opColor, 'fill-opacity': ['interpolate', ['linear'], share4gExpr(op), 0, 0.05, 1, 0.6]}},
      {id: 'gaps-fill', type: 'fill', source: 'gaps', 'source-layer': 'gaps', layout: v('gaps'),
        paint: {'fill-color': '#b91c1c', 'fill-opacity': 0.12}},
      {id: 'gaps-line', type: 'line', source: 'gaps', 'source-layer': 'gaps', layout: v('gaps'),
        paint: {'line-color': '#991b1b', 'line-width': 1.6, 'line-dasharray': [2, 1]}},
      {id: 'sectors-fill', type: 'fill', source: 'sectors', 'source-layer': 'sectors', layout: v('sectors'),
        filter: ['==', ['geometry-type'], 'Polygon'], paint: {'fill-color': '#0891b2', 'fill-opacity': 0.15}},
      {id: 'sectors-line', type: 'line', source: 'sectors', 'source-layer': 'sectors', layout: v('sectors'),
        filter: ['==', ['geometry-type'], 'Polygon'], paint: {'line-color': '#0e7490', 'line-width': 0.8}},
      {id: 'sectors-point', type: 'circle', source: 'sectors', 'source-layer': 'sectors', layout: v('sectors'),
        filter: ['==', ['geometry-type'], 'Point'], paint: {'circle-color': '#0e7490', 'circle-radius': 3.5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1}},
      {id: 'fiber-routes', type: 'line', source: 'fiber', 'source-layer': 'fiber_routes', layout: v('fiber'),
        paint: {'line-color': '#15803d', 'line-width': 2}},
      {id: 'fiber-nodes', type: 'circle', source: 'fiber', 'source-layer': 'fiber_nodes', layout: v('fiber'),
        paint: {'circle-color': '#15803d', 'circle-radius': 3, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1}},
      {id: 'areas-line', type: 'line', source: 'areas', 'source-layer': 'areas', layout: v('areas'), paint: {'line-color': '#475569', 'line-width': 0.8}},
      {id: 'schools', type: 'circle', source: 'schools', 'source-layer': 'schools', layout: v('schools'),
        paint: {'circle-color': ['match', ['get', 'connectivity'], ...Object.entries(connColors).flat(), '#64748b'],
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 3, 13, 6], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.2}},
    ],
    bounds,
  };
}

let map = null;
let alive = 0; // bumped on leave: late callbacks of a left page do nothing

const metres = (m) => (m === undefined || m === null || m < 0) ? '—' : (m >= 1000 ? fmt(m / 1000, 1) + ' km' : fmt(m) + ' m');
const dayText = (d) => fmtDay(d);
const tOr = (key, raw) => t(key) === key ? raw : t(key);
const tconn = (c) => c ? tOr('conn.' + c, c) : '—';

export const mapPage = {
  path: '#/map',
  nav: 'nav.map',
  full: true,
  async render(main, ctx) {
    const my = ++alive;
    const planner = ctx.user && (ctx.user.role === 'planner' || ctx.user.role === 'admin');
    main.innerHTML = `<div class="mapwrap"><div id="map" role="region" aria-label="map"></div>
      <aside class="panel" id="panel">
        <section class="mp-run"><label for="run-select" data-t="map.run"></label> <b id="run-id">…</b>
          <select id="run-select"></select>
          <div class="muted" id="run-day-line"><span data-t="map.runday"></span>: <b id="run-day">…</b></div>
          ${planner ? `<form id="new-run-form" class="mp-newrun"><label for="new-run-date" data-t="map.rundate"></label>
            <input type="date" id="new-run-date" data-t-title="map.rundate.help">
            <button type="submit" id="new-run" class="primary" data-t="map.newrun"></button></form>` : ''}
          <div id="run-progress" role="status" aria-live="polite" hidden><span id="run-phase"></span> <b id="run-percent"></b>
            <div class="progress"><div id="run-bar" style="width:0"></div></div></div></section>
        <section class="mp-area"><label for="area-search" data-t="map.area"></label>
          <input id="area-search" type="search" autocomplete="off" data-t-placeholder="map.areahint" aria-controls="area-results">
          <ul id="area-results" class="mp-hits"></ul></section>
        <fieldset class="mp-layers" id="layers"><legend data-t="map.layers"></legend></fieldset>
        <div id="details" aria-live="polite"><p class="muted" data-t="map.click"></p></div>
        <div class="legend" id="legend"></div>
      </aside></div>`;
    ctx.translate(main);
    const $ = (s) => main.querySelector(s);
    let cells;
    try {
      cells = await get('/tiles/cells.json');
    } catch (err) {
      if (my !== alive) return;
      if (err.status === 404) { $('#details').textContent = t('map.norun'); $('#run-id').textContent = '—'; wireNewRun(); return; }
      throw err;
    }
    if (my !== alive) return;
    $('#run-id').textContent = cells.run;
    const legend = $('#legend');
    legend.innerHTML = `<p data-t="map.legend"></p>` + ramp.map(([v, c]) => `<div><i style="background:${c}"></i>≥ ${fmt(v)}</div>`).join('') +
      `<p data-t="layer.schools"></p>` + Object.entries(connColors).map(([k, c]) => `<div><i class="dot" style="background:${c}"></i>${esc(t('conn.' + k))}</div>`).join('');
    ctx.translate(legend);

    // Layers: a checkbox each; 4G has its operator.
    const vis = Object.fromEntries(LAYERS.map(l => [l.key, l.on]));
    let ops = cells.operators || [];
    let op = ops[0] || '';
    const box = $('#layers');
    for (const l of LAYERS) {
      const div = document.createElement('div');
      div.innerHTML = `<input type="checkbox" id="layer-${l.key}" ${l.on ? 'checked' : ''}> <label for="layer-${l.key}">${esc(t('layer.' + l.key))}</label>`;
      if (l.key === 'cover4g') {
        div.insertAdjacentHTML('beforeend', ` <label class="sr" for="layer-op">${esc(t('layer.operator'))}</label><select id="layer-op"></select>`);
      }
      box.append(div);
    }
    const fillOps = () => {
      const sel = $('#layer-op');
      sel.innerHTML = ops.map(o => `<option value="${esc(o)}">${esc(o)}</option>`).join('');
      if (!ops.includes(op)) op = ops[0] || '';
      sel.value = op;
    };
    fillOps();

    setWorkerUrl(location.origin + '/assets/maplibre-gl-worker.mjs');
    const b = cells.bounds || [102, 8, 110, 23.5];
    map = new Map({container: 'map', style: await withBasemap(style(cells, b, vis, op)), bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: {padding: 20}, attributionControl: false});
    map.addControl(new NavigationControl(), 'top-left');
    map.addControl(new ScaleControl());
    const m = map;
    window.gapmap.map = m;
    window.gapmap.run = cells.run;

    const setVisible = (key, on) => {
      vis[key] = on;
      for (const id of LAYERS.find(l => l.key === key).layers) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    };
    box.addEventListener('change', (ev) => {
      const el = ev.target;
      if (el.id === 'layer-op') {
        op = el.value;
        m.setFilter('cover4g', ['>', share4gExpr(op), 0]);
        m.setPaintProperty('cover4g', 'fill-opacity', ['interpolate', ['linear'], share4gExpr(op), 0, 0.05, 1, 0.6]);
        if (!vis.cover4g) { $('#layer-cover4g').checked = true; setVisible('cover4g', true); }
        return;
      }
      if (el.id.startsWith('layer-')) setVisible(el.id.slice(6), el.checked);
    });

    // Clicks: a point (school, mast, fiber node) first, then a sector or
    // a fiber route, then the hexagon (with its gap area below it), then
    // the gap area alone.
    const clickable = ['schools', 'sectors-point', 'fiber-nodes', 'sectors-fill', 'fiber-routes', 'cells', 'gaps-fill'];
    const shown = () => clickable.filter(id => m.getLayoutProperty(id, 'visibility') !== 'none');
    const details = $('#details');
    const current = () => my === alive;
    m.on('click', (e) => {
      const hits = m.queryRenderedFeatures(e.point, {layers: shown()});
      const by = (id) => hits.find(f => f.layer.id === id);
      const f = clickable.map(by).find(Boolean);
      if (!f) return;
      const p = f.properties, id = f.layer.id;
      setTimeout(() => details.scrollIntoView({block: 'start'}), 0);
      if (id === 'schools') showSchool(details, p);
      else if (id.startsWith('sectors')) showSector(details, p);
      else if (id.startsWith('fiber')) showFiber(details, p, id);
      else if (id === 'cells') {
        showCell(details, p, ops);
        const g = by('gaps-fill');
        if (g) {
          const sub = document.createElement('div');
          sub.className = 'mp-sub';
          details.append(sub);
          showGap(sub, g.properties, window.gapmap.run, current).catch(ctx.showError);
        }
      } else showGap(details, p, window.gapmap.run, current).catch(ctx.showError);
    });
    m.on('mousemove', (e) => {
      m.getCanvas().style.cursor = m.queryRenderedFeatures(e.point, {layers: shown()}).length ? 'pointer' : '';
    });

    // Runs: the list, and switching.
    let runs = [];
    const loadRuns = async () => {
      runs = (await get('/api/v1/coverage/runs?limit=100')).runs;
      if (my !== alive) return;
      const sel = $('#run-select');
      sel.innerHTML = runs.map(r => `<option value="${r.id}" data-day="${esc(r.date || '')}">${esc(t('map.runof', {id: r.id, day: dayText(r.date), date: new Date(r.created_at).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN')}))}</option>`).join('');
      sel.value = String(window.gapmap.run);
      showDay();
    };
    // showDay writes the shown run's analysis date.
    const showDay = () => {
      const r = runs.find(x => x.id === window.gapmap.run);
      $('#run-day').textContent = r ? dayText(r.date) : '…';
      $('#run-day').dataset.day = r?.date || '';
    };
    const switchRun = async (run) => {
      const tj = await get('/tiles/cells.json?run=' + run);
      if (my !== alive) return;
      m.getSource('cells').setTiles(tj.tiles);
      m.getSource('gaps').setTiles([tileURL('gaps', tj.run)]);
      m.getSource('schools').setTiles([tileURL('schools', tj.run)]);
      ops = tj.operators || [];
      fillOps();
      m.setFilter('cover4g', ['>', share4gExpr(op), 0]);
      m.setPaintProperty('cover4g', 'fill-opacity', ['interpolate', ['linear'], share4gExpr(op), 0, 0.05, 1, 0.6]);
      window.gapmap.run = tj.run;
      $('#run-id').textContent = tj.run;
      $('#run-select').value = String(tj.run);
      showDay();
      details.innerHTML = `<p class="muted">${esc(t('map.click'))}</p>`;
    };
    $('#run-select').addEventListener('change', (ev) => switchRun(Number(ev.target.value)).catch(ctx.showError));
    loadRuns().catch(ctx.showError);

    function wireNewRun() {
      const btn = $('#new-run');
      if (!btn) return;
      $('#new-run-form').onsubmit = async (ev) => {
        ev.preventDefault();
        btn.disabled = true;
        const prog = $('#run-progress');
        const show = (j) => {
          prog.hidden = false;
          $('#run-phase').textContent = j.status === 'succeeded' ? t('phase.done') : (j.phase ? tOr('phase.' + j.phase, j.phase) : t('common.loading'));
          $('#run-percent').textContent = fmt(j.percent, 0) + ' %';
          $('#run-bar').style.width = Math.max(0, Math.min(100, j.percent)) + '%';
        };
        try {
          const day = $('#new-run-date').value;
          const job = await post('/api/v1/coverage/runs', day ? {date: day} : undefined);
          ctx.toast(t('map.runstarted'));
          show(job);
          const j = await pollJob(job.id, (j) => { if (my === alive) show(j); });
          if (my !== alive) return;
          if (j.status !== 'succeeded') { ctx.toast(t('map.runfailed', {msg: j.error || j.status}), true); return; }
          const id = j.result?.run_id;
          if (map) { await switchRun(id); await loadRuns(); } else { location.reload(); return; }
          ctx.toast(t('map.rundone', {id}));
        } catch (err) {
          ctx.showError(err);
        } finally { btn.disabled = false; }
      };
    }
    wireNewRun();

    // The area picker: search by name, with or without diacritics.
    let areas = [];
    get('/api/v1/areas').then(r => { areas = r.areas.filter(a => a.has_geometry !== false); }).catch(ctx.showError);
    const input = $('#area-search');
    const hits = $('#area-results');
    const find = () => {
      const q = fold(input.value.trim());
      if (!q) { hits.innerHTML = ''; return []; }
      const found = areas.filter(a => fold(a.name).includes(q) || a.code.startsWith(q)).slice(0, 12);
      hits.innerHTML = found.length ? found.map(a => `<li><button type="button" class="linkish" data-code="${esc(a.code)}">${esc(a.name)} <span class="muted">${esc(tOr('level.' + a.level, a.level))} · ${esc(a.code)}</span></button></li>`).join('')
        : `<li class="muted">${esc(t('map.noarea'))}</li>`;
      return found;
    };
    input.addEventListener('input', find);
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); const f = find(); if (f[0]) zoomToArea(f[0].code).catch(ctx.showError); }
      if (ev.key === 'ArrowDown') { ev.preventDefault(); hits.querySelector('button')?.focus(); }
    });
    hits.addEventListener('click', (ev) => {
      const btn = ev.target.closest('button[data-code]');
      if (btn) zoomToArea(btn.dataset.code).catch(ctx.showError);
    });
    hits.addEventListener('keydown', (ev) => {
      const items = [...hits.querySelectorAll('button')];
      const i = items.indexOf(document.activeElement);
      if (ev.key === 'ArrowDown' && i >= 0) { ev.preventDefault(); items[Math.min(i + 1, items.length - 1)].focus(); }
      if (ev.key === 'ArrowUp' && i >= 0) { ev.preventDefault(); (i === 0 ? input : items[i - 1]).focus(); }
    });
    const zoomToArea = async (code) => {
      const fc = await get('/api/v1/areas/geojson?simplify=0.001&code=' + encodeURIComponent(code));
      if (my !== alive) return;
      const bb = [Infinity, Infinity, -Infinity, -Infinity];
      const walk = (c) => { if (typeof c[0] === 'number') { bb[0] = Math.min(bb[0], c[0]); bb[1] = Math.min(bb[1], c[1]); bb[2] = Math.max(bb[2], c[0]); bb[3] = Math.max(bb[3], c[1]); } else c.forEach(walk); };
      for (const f of fc.features || []) if (f.geometry) walk(f.geometry.coordinates);
      if (!Number.isFinite(bb[0])) { ctx.toast(t('map.nogeom'), true); return; }
      const a = areas.find(x => x.code === code);
      if (a) input.value = a.name;
      hits.innerHTML = '';
      window.gapmap.area = {code, bounds: bb};
      m.fitBounds([[bb[0], bb[1]], [bb[2], bb[3]]], {padding: 30, duration: 600});
    };
  },
  leave() { alive++; map?.remove(); map = null; },
};

const row = (k, v) => `<tr><th>${esc(t(k))}</th><td class="n">${v}</td></tr>`;

function showCell(box, p, ops) {
  const u = [p.unconnected_students_t1, p.unconnected_students_t2, p.unconnected_students_t3].map(x => fmt(x)).join(' / ');
  const pct = (x) => x === undefined ? '—' : fmt(100 * x, 1) + ' %';
  const perOp = ops.filter(o => p['share_4g_' + o] !== undefined).map(o => `${esc(o)} ${pct(p['share_4g_' + o])}`).join('<br>');
  box.innerHTML = `<h2>${esc(t('map.cell'))} <code id="cell-h3">${esc(p.h3)}</code></h2>` +
    (p.suppressed ? `<p class="muted">${esc(t('map.suppressed'))}</p>` : '') +
    `<table id="cell-table">` + row('map.households', fmt(p.households)) + row('map.students_t1', fmt(p.students_t1)) +
    row('map.students_t2', fmt(p.students_t2)) + row('map.students_t3', fmt(p.students_t3)) + row('map.unconnected', u) +
    row('map.schools', fmt(p.schools)) + row('map.share4g', pct(p.share_4g_any)) + row('map.sharefiber', pct(p.share_fiber)) +
    (perOp ? row('map.share4gop', perOp) : '') +
    row('map.gap', p.gap ? esc(p.gap_id || '✓') : '—') + `</table>`;
}

function showSchool(box, p) {
  box.innerHTML = `<h2>${esc(t('map.school'))}: <span id="school-name">${esc(p.name)}</span></h2>` +
    `<p><code id="school-id">${esc(p.school_id)}</code></p><table id="school-table">` +
    row('map.connectivity', `<b id="school-conn" data-conn="${esc(p.connectivity)}" style="color:${connColors[p.connectivity] || 'inherit'}">${esc(tconn(p.connectivity))}</b>`) +
    row('map.ops4g', esc(p.operators_4g || '—')) +
    row('map.near4g', metres(p.nearest_4g_m)) + row('map.nearfiber', metres(p.nearest_fiber_m)) +
    row('map.level', esc(p.level ? tOr('slevel.' + p.level, p.level) : '—')) + row('map.students', fmt(p.students)) + row('map.internet', esc(tconn(p.internet))) +
    row('map.area_code', esc(p.area_code || '—')) + row('map.gap', p.gap_id ? esc(p.gap_id) : '—') + `</table>`;
}

function showSector(box, p) {
  const omni = p.azimuth_deg === undefined || p.azimuth_deg === null || p.beamwidth_deg >= 360;
  box.innerHTML = `<h2>${esc(t('map.sector'))} <code id="sector-id">${esc(p.sector_id)}</code></h2><table id="sector-table">` +
    row('map.operator', `<span id="sector-op">${esc(p.operator)}</span>`) + row('map.technology', esc(p.technology)) +
    row('map.band', p.band_mhz ? fmt(p.band_mhz) + ' MHz' : '—') +
    row('map.range', metres(p.range_m) + (p.range_modelled ? ' ' + esc(t('map.modelled')) : '')) +
    row('map.azimuth', omni ? esc(t('map.omni')) : fmt(p.azimuth_deg) + '°') +
    row('map.beamwidth', p.beamwidth_deg ? fmt(p.beamwidth_deg) + '°' : '—') +
    row('map.site', esc(p.site_id || '—')) + row('map.status', esc(p.status || '—')) + `</table>`;
}

function showFiber(box, p, layer) {
  const node = layer === 'fiber-nodes';
  box.innerHTML = `<h2>${esc(t(node ? 'map.fibernode' : 'map.fiberroute'))} <code>${esc(node ? p.node_id : p.route_id)}</code></h2><table>` +
    row('map.operator', esc(p.operator)) + (node ? row('map.kind', esc(p.kind || '—')) : '') + `</table>`;
}

async function showGap(box, p, run, current) {
  const head = `<h2>${esc(t('map.gaparea'))} <code id="gap-id">${esc(p.gap_id)}</code></h2>`;
  box.innerHTML = head + `<p class="muted">${esc(t('common.loading'))}</p>`;
  let g = null;
  const q = p.area_code ? '&area=' + encodeURIComponent(p.area_code) : '';
  for (let offset = 0; !g; offset += 1000) {
    const r = await get(`/api/v1/coverage/runs/${run}/gaps?limit=1000&offset=${offset}${q}`);
    g = r.gaps.find(x => x.gap_id === p.gap_id);
    if (offset + 1000 >= r.total) break;
  }
  if (!current()) return;
  g = g || p;
  const opt = (o) => o ? esc(tOr('opt.' + o, o)) : '—';
  const vnd = (x) => x === undefined || x === null ? '—' : fmt(x) + ' đ';
  let comp = '';
  if (g.components && typeof g.components === 'object') {
    comp = `<h3>${esc(t('map.components'))}</h3><table id="gap-components">` + Object.entries(g.components).map(([k, v]) => {
      const label = t('comp.' + k) === 'comp.' + k ? `<code>${esc(k)}</code>` : esc(t('comp.' + k));
      const val = Array.isArray(v) ? v.map(x => fmt(x, 1)).join(' / ') : (typeof v === 'number' ? fmt(v, 2) : (k === 'option' ? opt(v) : esc(v)));
      return `<tr><th>${label}</th><td class="n">${val}</td></tr>`;
    }).join('') + `</table>`;
  }
  box.innerHTML = head + (g.suppressed ? `<p class="muted">${esc(t('map.suppressed'))}</p>` : '') + `<table id="gap-table">` +
    row('map.rank', fmt(g.rank)) + row('map.area_code', esc(g.area_code || '—')) + row('map.environment', esc(g.environment ? tOr('env.' + g.environment, g.environment) : '—')) +
    row('map.cells', fmt(g.cells)) + row('map.households', fmt(g.households)) +
    row('map.students_t1', fmt(g.students_t1)) + row('map.students_t2', fmt(g.students_t2)) + row('map.students_t3', fmt(g.students_t3)) +
    row('map.nodevice', fmt(g.no_device_t123)) + row('map.schools', fmt(g.schools)) +
    row('map.near4g', metres(g.nearest_4g_m)) + row('map.nearfiber', metres(g.nearest_fiber_m)) +
    row('map.beneficiaries', fmt(g.weighted_beneficiaries, 1)) + row('map.option', opt(g.option)) + row('map.cost', vnd(g.cost_vnd)) +
    row('map.score', `<b id="gap-score">${fmt(g.score, 2)}</b>`) + `</table>` + comp;
}
