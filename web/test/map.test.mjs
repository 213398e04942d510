// The gap map in a real browser: it loads and goes idle; the hexagons it
// draws carry the API's counts; clicking one shows them; nothing is
// requested from another host; the page works in Vietnamese and English.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, api, waitIdle, zoomIdle} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the map loads, goes idle, and its hexagons match the API', async () => {
  const page = await newPage(browser);
  await login(page, 'planner');
  await page.waitForFunction(() => window.gapmap.map);
  const loadMs = await waitIdle(page);
  const info = await page.evaluate(() => ({run: window.gapmap.run, zoom: window.gapmap.map.getZoom()}));
  // The hexagon resolution follows the zoom, as the tiles' TileJSON says.
  const feats = await page.evaluate(() => window.gapmap.map.queryRenderedFeatures({layers: ['cells']}).map(f => f.properties));
  assert.ok(feats.length > 0, 'no hexagon rendered');
  const res = feats[0].res;
  const cells = await api(page, `/api/v1/coverage/runs/${info.run}/cells?res=${res}&limit=50000`);
  assert.equal(cells.status, 200);
  const byH3 = new Map(cells.body.cells.map(c => [c.h3, c]));
  let compared = 0;
  for (const p of feats) {
    const c = byH3.get(p.h3);
    assert.ok(c, `rendered cell ${p.h3} is not in the API's cells`);
    assert.equal(p.res, res);
    if (p.suppressed) continue;
    assert.equal(p.households, c.households, `households of ${p.h3}`);
    assert.equal(p.students_t1, c.students_t1, `tier 1 of ${p.h3}`);
    assert.equal(p.unconnected_students_t1, c.unconnected_students_t1, `unconnected tier 1 of ${p.h3}`);
    compared++;
  }
  assert.ok(compared > 0, 'every rendered hexagon was suppressed');
  await screenshot(page, 'map');

  // A zoom: the map goes idle again, at a finer resolution.
  const zoomMs = await zoomIdle(page, 2);
  const res2 = await page.evaluate(() => window.gapmap.map.queryRenderedFeatures({layers: ['cells']})[0]?.properties.res);
  assert.ok(res2 > res, `after zooming in the resolution is ${res2}, was ${res}`);
  console.log(`map idle ${loadMs.toFixed(0)} ms after the page was opened (login included); ${zoomMs.toFixed(0)} ms after a zoom (${info.zoom.toFixed(1)} → +2)`);

  // Clicking a hexagon shows the API's counts.
  const target = await page.evaluate(() => {
    const m = window.gapmap.map;
    const f = m.queryRenderedFeatures({layers: ['cells']}).find(f => !f.properties.suppressed && f.properties.households > 0);
    if (!f) return null;
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const c = ring.slice(0, -1).reduce((a, p) => [a[0] + p[0] / (ring.length - 1), a[1] + p[1] / (ring.length - 1)], [0, 0]);
    const pt = m.project(c);
    return {h3: f.properties.h3, x: pt.x, y: pt.y};
  });
  assert.ok(target, 'no unsuppressed hexagon after zooming');
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + target.x, box.y + target.y);
  await page.waitForSelector('#cell-h3');
  const shown = await page.textContent('#cell-h3');
  const res3 = await page.evaluate(() => window.gapmap.map.queryRenderedFeatures({layers: ['cells']})[0].properties.res);
  const cells3 = await api(page, `/api/v1/coverage/runs/${info.run}/cells?res=${res3}&limit=50000`);
  const c3 = cells3.body.cells.find(c => c.h3 === shown);
  assert.ok(c3, `clicked cell ${shown} not in the API`);
  const table = await page.textContent('#cell-table');
  assert.ok(table.replace(/\D/g, ' ').split(/\s+/).includes(String(c3.households)), `panel ${table} lacks households ${c3.households}`);
  await screenshot(page, 'map-cell');

  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('the page works in Vietnamese and in English, every string in both', async () => {
  const page = await newPage(browser);
  await login(page, 'viewer');
  await page.waitForSelector('header nav a');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.match(await page.textContent('header nav'), /Bản đồ lõm sóng/);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await page.textContent('header nav'), /Gap map/);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'map-en');
  assert.deepEqual(page.offsite, [], 'requests to another host');
});

test('an operator never receives student or household data', async () => {
  const page = await newPage(browser);
  await login(page, 'viettel');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  const nav = await page.textContent('header nav');
  assert.doesNotMatch(nav, /Phân bổ/, 'an operator sees the allocation page');
  for (const r of page.responses) {
    const ct = r.headers()['content-type'] || '';
    if (!ct.includes('json')) continue;
    const body = await r.text().catch(() => '');
    assert.doesNotMatch(body, /H[HS]\d{8}/, `${r.url()} holds a household or student id`);
  }
  assert.deepEqual(page.offsite, []);
});

// clickFeature clicks the middle of a rendered feature of a layer (a point,
// or the centre of a polygon's first ring); it returns its properties.
async function clickFeature(page, layer, pick = () => true) {
  const target = await page.evaluate(([layer, pick]) => {
    const m = window.gapmap.map;
    const ok = new Function('p', `return (${pick})(p)`);
    const w = m.getCanvas().clientWidth, h = m.getCanvas().clientHeight;
    for (const f of m.queryRenderedFeatures({layers: [layer]})) {
      if (!ok(f.properties)) continue;
      let c;
      if (f.geometry.type === 'Point') c = f.geometry.coordinates;
      else {
        const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
        c = ring.slice(0, -1).reduce((a, p) => [a[0] + p[0] / (ring.length - 1), a[1] + p[1] / (ring.length - 1)], [0, 0]);
      }
      const pt = m.project(c);
      if (pt.x < 40 || pt.y < 40 || pt.x > w - 40 || pt.y > h - 40) continue;
      // The topmost clickable feature there must be this one.
      const top = m.queryRenderedFeatures(pt, {layers: [layer]})[0];
      if (!top || JSON.stringify(top.properties) !== JSON.stringify(f.properties)) continue;
      return {x: pt.x, y: pt.y, p: f.properties};
    }
    return null;
  }, [layer, pick.toString()]);
  assert.ok(target, `no clickable feature in layer ${layer}`);
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + target.x, box.y + target.y);
  return target.p;
}

const visible = (page, id) => page.evaluate((id) => window.gapmap.map.getLayoutProperty(id, 'visibility'), id);
const rendered = (page, layers) => page.evaluate((layers) => window.gapmap.map.queryRenderedFeatures({layers}).length, layers);

test('layers switch on and off from the layer panel, by mouse and by keyboard', async () => {
  const page = await newPage(browser);
  await login(page, 'planner');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  // Schools, gap areas, cells and boundaries are on; sectors, fiber, 4G off.
  for (const id of ['cells', 'schools', 'gaps-fill', 'gaps-line', 'areas-line']) assert.equal(await visible(page, id), 'visible', id);
  for (const id of ['sectors-fill', 'sectors-point', 'fiber-routes', 'fiber-nodes', 'cover4g']) assert.equal(await visible(page, id), 'none', id);
  assert.ok(await rendered(page, ['schools']) > 0, 'no school rendered');
  assert.equal(await rendered(page, ['sectors-fill', 'sectors-point']), 0, 'sectors rendered while off');

  // Sectors on (by mouse), then their masts or wedges are drawn.
  await page.click('label[for=layer-sectors]');
  assert.equal(await visible(page, 'sectors-point'), 'visible');
  await waitIdle(page);
  const sectors = await rendered(page, ['sectors-fill', 'sectors-point']);
  assert.ok(sectors > 0, 'no sector rendered with the sectors layer on');
  // Fiber on, by keyboard (Space on the focused checkbox).
  await page.focus('#layer-fiber');
  await page.keyboard.press('Space');
  assert.equal(await visible(page, 'fiber-routes'), 'visible');
  assert.equal(await visible(page, 'fiber-nodes'), 'visible');
  // Schools off by keyboard: none rendered.
  await page.focus('#layer-schools');
  await page.keyboard.press('Space');
  assert.equal(await visible(page, 'schools'), 'none');
  await waitIdle(page);
  assert.equal(await rendered(page, ['schools']), 0, 'schools rendered while off');
  await page.focus('#layer-schools');
  await page.keyboard.press('Space');
  assert.equal(await visible(page, 'schools'), 'visible');
  // 4G of an operator: the run's operators are offered; picking one shows
  // the cells where it has 4G, from the tiles' share_4g_{operator}.
  const ops = await page.$$eval('#layer-op option', os => os.map(o => o.value));
  assert.ok(ops.length > 0, 'no operator offered');
  const run = await page.evaluate(() => window.gapmap.run);
  const runInfo = await api(page, `/api/v1/coverage/runs/${run}`);
  assert.deepEqual(ops, runInfo.body.operators);
  await page.selectOption('#layer-op', ops[0]);
  assert.equal(await visible(page, 'cover4g'), 'visible');
  await waitIdle(page);
  const cov = await page.evaluate((op) => window.gapmap.map.queryRenderedFeatures({layers: ['cover4g']}).map(f => f.properties['share_4g_' + op]), ops[0]);
  assert.ok(cov.length > 0 && cov.every(s => s > 0), `4G cells of ${ops[0]}: ${cov.length}`);
  await screenshot(page, 'map-layers');
  // Off again.
  await page.click('label[for=layer-cover4g]');
  assert.equal(await visible(page, 'cover4g'), 'none');
  await page.click('label[for=layer-areas]');
  assert.equal(await visible(page, 'areas-line'), 'none');

  // A sector's panel: operator, technology, band, range, azimuth.
  const sp = await clickFeature(page, (await rendered(page, ['sectors-point'])) ? 'sectors-point' : 'sectors-fill');
  await page.waitForSelector('#sector-id');
  assert.equal(await page.textContent('#sector-id'), sp.sector_id);
  assert.equal(await page.textContent('#sector-op'), sp.operator);
  assert.match(await page.textContent('#sector-table'), new RegExp(sp.technology));
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('the area picker finds an area typed without diacritics and zooms there', async () => {
  const page = await newPage(browser);
  await login(page, 'viewer');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  const areas = (await api(page, '/api/v1/areas')).body.areas;
  // Three tiers (gen --legacy-districts): the city district; two tiers
  // (the default since the 2025 reform): a commune with diacritics.
  const target = areas.find(a => a.name === 'Thành phố Lâm Sơn') || areas.find(a => /Lâm Sơn/.test(a.name) && a.parent_code) ||
    areas.find(a => a.parent_code && a.name === 'Phường Hoàng Văn Thụ');
  assert.ok(target, 'no Lâm Sơn area in the generated province');
  const zoom0 = await page.evaluate(() => window.gapmap.map.getZoom());
  await page.fill('#area-search', 'lam son');
  await page.waitForSelector('#area-results button');
  const names = await page.$$eval('#area-results button', bs => bs.map(b => b.textContent));
  assert.ok(names.some(n => n.includes('Lâm Sơn')), `results ${names}`);
  // Typed with diacritics too.
  await page.fill('#area-search', 'Lâm Sơn');
  await page.waitForSelector('#area-results button');
  assert.ok((await page.$$eval('#area-results button', bs => bs.map(b => b.textContent))).some(n => n.includes('Lâm Sơn')));
  // The exact name without diacritics, then Enter (keyboard only).
  await page.fill('#area-search', target.name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase());
  await page.waitForSelector(`#area-results button[data-code="${target.code}"]`);
  await page.focus('#area-search');
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement.dataset.code);
  await page.evaluate(() => new Promise(r => { window.gapmap.map.once('moveend', r); document.activeElement.click(); }));
  assert.ok(focused, 'ArrowDown does not reach the results');
  await waitIdle(page);
  const view = await page.evaluate(() => {
    const m = window.gapmap.map;
    return {zoom: m.getZoom(), center: m.getCenter().toArray(), area: window.gapmap.area};
  });
  assert.equal(view.area.code, focused);
  const bb = view.area.bounds;
  assert.ok(view.center[0] > bb[0] && view.center[0] < bb[2] && view.center[1] > bb[1] && view.center[1] < bb[3], `centre ${view.center} outside ${bb}`);
  if (focused === target.code) assert.ok(view.zoom > zoom0, `zoom ${view.zoom} not above ${zoom0}`);
  assert.equal(await page.inputValue('#area-search'), areas.find(a => a.code === focused).name);
  await screenshot(page, 'map-area');
  // At tablet width the panel goes below the map; the picker still works.
  const tablet = await newPage(browser, {width: 820, height: 1180});
  await login(tablet, 'viewer');
  await tablet.waitForFunction(() => window.gapmap.map);
  await waitIdle(tablet);
  await tablet.fill('#area-search', 'lam son');
  await tablet.waitForSelector('#area-results button');
  await tablet.click('#area-results button');
  await tablet.waitForFunction(() => window.gapmap.area);
  await waitIdle(tablet);
  const tb = await tablet.locator('#map').boundingBox();
  assert.ok(tb.width > 700 && tb.height > 400, `map ${tb.width}×${tb.height} at tablet width`);
  await screenshot(tablet, 'map-tablet');
  assert.deepEqual(tablet.offsite, [], 'requests to another host');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('clicking a school opens its panel with the API connectivity; a gap area shows its score components', async () => {
  const page = await newPage(browser);
  await login(page, 'officer');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  await zoomIdle(page, 1);
  const run = await page.evaluate(() => window.gapmap.run);
  const p = await clickFeature(page, 'schools');
  await page.waitForSelector('#school-id');
  assert.equal(await page.textContent('#school-id'), p.school_id);
  const list = await api(page, `/api/v1/schools?run=${run}&limit=1000`);
  assert.equal(list.status, 200);
  const s = (list.body.items || list.body.schools).find(x => x.school_id === p.school_id);
  assert.ok(s, `school ${p.school_id} not in the API`);
  assert.equal(await page.getAttribute('#school-conn', 'data-conn'), s.connectivity);
  assert.equal(await page.textContent('#school-name'), s.name);
  await screenshot(page, 'map-school');

  // A gap area (cells off, so the click reaches it): its components come
  // from the API's gaps.
  await page.click('label[for=layer-cells]');
  await page.click('label[for=layer-schools]');
  await waitIdle(page);
  const g = await clickFeature(page, 'gaps-fill');
  await page.waitForSelector('#gap-table');
  assert.equal(await page.textContent('#gap-id'), g.gap_id);
  const gaps = await api(page, `/api/v1/coverage/runs/${run}/gaps?limit=1000&area=${g.area_code}`);
  const ga = gaps.body.gaps.find(x => x.gap_id === g.gap_id);
  assert.ok(ga, `gap ${g.gap_id} not in the API`);
  if (ga.components) {
    await page.waitForSelector('#gap-components');
    const rows = await page.$$eval('#gap-components tr', rs => rs.length);
    assert.equal(rows, Object.keys(ga.components).length);
  }
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('a planner starts a new coverage run from the map, sees its progress to 100 % and the run selector shows it', async () => {
  const page = await newPage(browser);
  await login(page, 'planner');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  const before = await page.evaluate(() => window.gapmap.run);
  await page.waitForSelector(`#run-select option[value="${before}"]`, {state: "attached"});
  const percents = [];
  await page.exposeFunction('notePercent', (v) => percents.push(v));
  await page.evaluate(() => {
    const el = document.getElementById('run-percent');
    new MutationObserver(() => window.notePercent(el.textContent)).observe(el, {childList: true, characterData: true, subtree: true});
  });
  // The run shown gives its analysis date; the new one is analysed on a
  // date chosen here (the areas valid on 1 January 2026).
  const listed = (await api(page, '/api/v1/coverage/runs?limit=100')).body.runs;
  const beforeDay = listed.find(r => r.id === before).date;
  assert.match(beforeDay, /^\d{4}-\d{2}-\d{2}$/);
  await page.waitForSelector(`#run-day[data-day="${beforeDay}"]`);
  assert.equal(await page.getAttribute(`#run-select option[value="${before}"]`, 'data-day'), beforeDay);
  const [y, mo, d] = beforeDay.split('-');
  assert.ok((await page.textContent(`#run-select option[value="${before}"]`)).includes(`${d}/${mo}/${y}`), 'the option names the analysis date');
  await page.fill('#new-run-date', '2026-01-01');
  await page.click('#new-run');
  await page.waitForSelector('#run-progress:not([hidden])');
  await page.waitForFunction((b) => window.gapmap.run !== b, before, {timeout: 180_000});
  const after = await page.evaluate(() => window.gapmap.run);
  assert.ok(after > before, `run ${after} after ${before}`);
  assert.match(await page.textContent('#run-percent'), /^100\s?%$/);
  assert.ok(percents.length >= 1, 'no progress shown');
  await page.waitForSelector(`#run-select option[value="${after}"]`, {state: "attached"});
  assert.equal(await page.inputValue('#run-select'), String(after));
  assert.equal(await page.textContent('#run-id'), String(after));
  const afterRun = (await api(page, `/api/v1/coverage/runs/${after}`)).body;
  assert.equal(afterRun.date, '2026-01-01');
  await page.waitForSelector('#run-day[data-day="2026-01-01"]');
  assert.equal(await page.textContent('#run-day'), '01/01/2026');
  assert.equal(await page.getAttribute(`#run-select option[value="${after}"]`, 'data-day'), '2026-01-01');
  assert.match(await page.textContent(`#run-select option[value="${after}"]`), /ngày phân tích 01\/01\/2026/);
  // The map now draws the new run's tiles.
  await waitIdle(page);
  const urls = await page.evaluate(() => window.gapmap.map.getSource('cells').tiles);
  assert.ok(urls[0].endsWith(`?run=${after}`), urls[0]);
  await screenshot(page, 'map-run');
  // Back to the previous run from the selector.
  await page.selectOption('#run-select', String(before));
  await page.waitForFunction((b) => window.gapmap.run === b, before);
  await page.waitForSelector(`#run-day[data-day="${beforeDay}"]`);
  assert.ok((await page.evaluate(() => window.gapmap.map.getSource('gaps').tiles))[0].endsWith(`?run=${before}`));
  // A viewer has no "new run" button.
  const viewer = await newPage(browser);
  await login(viewer, 'viewer');
  await viewer.waitForSelector("#run-select option", {state: "attached"});
  assert.equal(await viewer.$('#new-run'), null);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});
