// The gap map: H3 cells coloured by unconnected tier 1–3 students (the
// resolution follows the zoom, from gapmap's own tiles), the administrative
// areas as the base layer, and a side panel for what was clicked.
import {Map, NavigationControl, ScaleControl, setWorkerUrl} from 'maplibre-gl';
import {t, fmt, addStrings} from '../i18n.js';
import {get} from '../api.js';

addStrings({
  'map.legend': ['Học sinh diện 1–3 chưa có kết nối', 'Tier 1–3 students without a connection'],
  'map.run': ['Lượt phân tích', 'Coverage run'],
  'map.norun': ['Chưa có lượt phân tích vùng phủ nào.', 'No coverage run yet.'],
  'map.click': ['Bấm vào một ô lục giác trên bản đồ để xem chi tiết.', 'Click a hexagon on the map for its details.'],
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
});

const ramp = [[0, '#f1f5f9'], [1, '#fde68a'], [5, '#fdba74'], [20, '#f87171'], [50, '#b91c1c']];

export function unconnectedExpr() {
  return ['+', ['coalesce', ['get', 'unconnected_students_t1'], 0], ['coalesce', ['get', 'unconnected_students_t2'], 0], ['coalesce', ['get', 'unconnected_students_t3'], 0]];
}

function style(cells, areas) {
  return {
    version: 8,
    sources: {
      areas: {type: 'vector', tiles: [location.origin + '/tiles/areas/{z}/{x}/{y}.mvt'], minzoom: 0, maxzoom: 14},
      cells: {type: 'vector', tiles: cells.tiles, minzoom: 0, maxzoom: 14},
    },
    layers: [
      {id: 'background', type: 'background', paint: {'background-color': '#eef2f6'}},
      {id: 'areas-fill', type: 'fill', source: 'areas', 'source-layer': 'areas', paint: {'fill-color': '#ffffff', 'fill-opacity': 0.6}},
      {id: 'cells', type: 'fill', source: 'cells', 'source-layer': 'cells',
        paint: {'fill-color': ['interpolate', ['linear'], unconnectedExpr(), ...ramp.flat()],
          'fill-opacity': ['case', ['get', 'suppressed'], 0.25, 0.75], 'fill-outline-color': '#94a3b8'}},
      {id: 'areas-line', type: 'line', source: 'areas', 'source-layer': 'areas', paint: {'line-color': '#475569', 'line-width': 0.8}},
    ],
    bounds: areas,
  };
}

let map = null;

export const mapPage = {
  path: '#/map',
  nav: 'nav.map',
  full: true,
  async render(main, ctx) {
    main.innerHTML = `<div class="mapwrap"><div id="map" role="region" aria-label="map"></div>
      <aside class="panel" id="panel"><p><span data-t="map.run"></span>: <b id="run-id">…</b></p>
      <div class="legend" id="legend"></div><div id="details"><p class="muted" data-t="map.click"></p></div></aside></div>`;
    ctx.translate(main);
    let cells;
    try {
      cells = await get('/tiles/cells.json');
    } catch (err) {
      if (err.status === 404) { main.querySelector('#details').textContent = t('map.norun'); return; }
      throw err;
    }
    main.querySelector('#run-id').textContent = cells.run;
    const legend = main.querySelector('#legend');
    legend.innerHTML = `<p data-t="map.legend"></p>` + ramp.map(([v, c]) => `<div><i style="background:${c}"></i>≥ ${fmt(v)}</div>`).join('');
    ctx.translate(legend);
    setWorkerUrl(location.origin + '/assets/maplibre-gl-worker.mjs');
    const b = cells.bounds || [102, 8, 110, 23.5];
    map = new Map({container: 'map', style: style(cells, b), bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: {padding: 20}, attributionControl: false});
    map.addControl(new NavigationControl(), 'top-left');
    map.addControl(new ScaleControl());
    window.gapmap.map = map;
    window.gapmap.run = cells.run;
    map.on('click', 'cells', (e) => showCell(main.querySelector('#details'), e.features[0].properties));
    map.on('mouseenter', 'cells', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'cells', () => { map.getCanvas().style.cursor = ''; });
  },
  leave() { map?.remove(); map = null; },
};

function showCell(box, p) {
  const row = (k, v) => `<tr><th>${t(k)}</th><td class="n">${v}</td></tr>`;
  const u = [p.unconnected_students_t1, p.unconnected_students_t2, p.unconnected_students_t3].map(x => fmt(x)).join(' / ');
  box.innerHTML = `<h2>${t('map.cell')} <code id="cell-h3">${p.h3}</code></h2>` +
    (p.suppressed ? `<p class="muted">${t('map.suppressed')}</p>` : '') +
    `<table id="cell-table">` + row('map.households', fmt(p.households)) + row('map.students_t1', fmt(p.students_t1)) +
    row('map.students_t2', fmt(p.students_t2)) + row('map.students_t3', fmt(p.students_t3)) + row('map.unconnected', u) +
    row('map.schools', fmt(p.schools)) + row('map.share4g', p.share_4g_any === undefined ? '—' : fmt(100 * p.share_4g_any, 1) + ' %') +
    row('map.gap', p.gap ? (p.gap_id || '✓') : '—') + `</table>`;
}
