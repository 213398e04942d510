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
