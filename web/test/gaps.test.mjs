// Gaps and plan in a real browser: the ranked gap areas as the API gives
// them (order, sorting, paging, filtering), the table and the map linked
// both ways, a plan of K=2 sites drawn on the map with its chart, a
// what-if, and an export whose bytes are the API's.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {launch, newPage, login, screenshot, api, waitIdle} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const rowIds = (page) => page.$$eval('#gaps-table tbody tr[data-gap]', trs => trs.map(tr => tr.dataset.gap));

// waitRows waits until the table shows the ids of the API's answer.
async function waitRows(page, ids) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('#gaps-table tbody tr[data-gap]')].map(tr => tr.dataset.gap);
    return JSON.stringify(got) === JSON.stringify(want) && !document.querySelector('#gaps-table[aria-busy]');
  }, ids, {timeout: 10000}).catch(() => {});
  assert.deepEqual(await rowIds(page), ids);
}

async function openGaps(page, user) {
  await login(page, user);
  await page.waitForFunction(() => document.querySelector('#main').childElementCount > 0 && !/…/.test(document.querySelector('#run-id')?.textContent ?? ''));
  await page.evaluate(() => { location.hash = '#/gaps'; });
  await page.waitForFunction(() => window.gapmap.gaps && window.gapmap.map?.getContainer().id === 'gaps-map');
  await waitIdle(page);
}

test('the gap table shows the API’s ranked gaps, sorts, pages, filters, and is linked to the map', async () => {
  const page = await newPage(browser);
  await openGaps(page, 'planner');
  const run = await page.evaluate(() => window.gapmap.run);
  const q = (s) => api(page, `/api/v1/coverage/runs/${run}/gaps?${s}`);

  // Rank order.
  const first = await q('sort=rank&order=asc&limit=10&offset=0');
  assert.equal(first.status, 200);
  assert.ok(first.body.total > 10, `only ${first.body.total} gap areas: paging cannot be tested`);
  await waitRows(page, first.body.gaps.map(g => g.gap_id));
  const ranks = first.body.gaps.map(g => g.rank);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
  assert.match(await page.textContent('#gaps-pageinfo'), new RegExp(`1–10 .* ${first.body.total.toLocaleString('vi-VN')}`));
  assert.equal(await page.locator('#gaps-table thead button.sort').count(), 7, 'every sortable column header is a button');
  await screenshot(page, 'gaps');

  // Sorting by beneficiaries: descending first, then ascending.
  await page.click('#gaps-table button[data-sort="beneficiaries"]');
  const desc = await q('sort=beneficiaries&order=desc&limit=10&offset=0');
  await waitRows(page, desc.body.gaps.map(g => g.gap_id));
  assert.equal(await page.getAttribute('#gaps-table th[data-col="beneficiaries"]', 'aria-sort'), 'descending');
  await page.click('#gaps-table button[data-sort="beneficiaries"]');
  const asc = await q('sort=beneficiaries&order=asc&limit=10&offset=0');
  await waitRows(page, asc.body.gaps.map(g => g.gap_id));
  assert.notDeepEqual(asc.body.gaps.map(g => g.gap_id), desc.body.gaps.map(g => g.gap_id));

  // Back to rank; the next page.
  await page.click('#gaps-table button[data-sort="rank"]');
  await waitRows(page, first.body.gaps.map(g => g.gap_id));
  await page.click('#gaps-next');
  const second = await q('sort=rank&order=asc&limit=10&offset=10');
  await waitRows(page, second.body.gaps.map(g => g.gap_id));
  assert.equal(second.body.gaps[0].rank, 11);
  assert.equal(await page.isDisabled('#gaps-prev'), false);
  await page.click('#gaps-prev');
  await waitRows(page, first.body.gaps.map(g => g.gap_id));

  // Filtering by minimum beneficiaries.
  const bens = first.body.gaps.map(g => g.beneficiaries).filter(b => b !== null).sort((a, b) => a - b);
  const min = bens[Math.floor(bens.length / 2)];
  await page.fill('#gaps-min', String(min));
  await page.click('#gaps-apply');
  const filtered = await q(`sort=rank&order=asc&limit=10&offset=0&min_beneficiaries=${min}`);
  assert.ok(filtered.body.total < first.body.total, `min ${min} does not reduce the ${first.body.total} gaps`);
  await waitRows(page, filtered.body.gaps.map(g => g.gap_id));
  for (const g of filtered.body.gaps) assert.ok(g.beneficiaries >= min);
  await page.waitForFunction((n) => window.gapmap.gaps.total === n, filtered.body.total);
  assert.match(await page.textContent('#gaps-pageinfo'), new RegExp(` ${filtered.body.total.toLocaleString('vi-VN')}$`));
  await page.click('#gaps-clear');
  await waitRows(page, first.body.gaps.map(g => g.gap_id));

  // Clicking a row highlights the gap and flies the map to it.
  const target = first.body.gaps.find(g => g.centroid);
  const before = await page.evaluate(() => window.gapmap.map.getCenter().toArray());
  await page.click(`#gaps-table tr[data-gap="${target.gap_id}"]`);
  await page.waitForFunction(() => !window.gapmap.map.isMoving());
  await waitIdle(page);
  const center = await page.evaluate(() => window.gapmap.map.getCenter().toArray());
  assert.ok(Math.hypot(center[0] - target.centroid[0], center[1] - target.centroid[1]) < 1e-3, `map at ${center}, gap at ${target.centroid}`);
  assert.ok(Math.hypot(center[0] - before[0], center[1] - before[1]) > 1e-4, 'the map did not move');
  assert.equal(await page.getAttribute(`#gaps-table tr[data-gap="${target.gap_id}"]`, 'aria-selected'), 'true');
  assert.equal(await page.textContent('#gaps-sel-id'), target.gap_id);
  const lit = await page.evaluate((id) => window.gapmap.map.queryRenderedFeatures({layers: ['gaps-sel']}).filter(f => f.properties.gap_id === id).length, target.gap_id);
  assert.ok(lit > 0, 'the selected gap is not highlighted on the map');

  // Clicking another gap on the map selects its row.
  const other = await page.evaluate((skip) => {
    const m = window.gapmap.map;
    const rows = new Set(window.gapmap.gaps.rows);
    for (const f of m.queryRenderedFeatures({layers: ['gaps-fill']})) {
      const id = f.properties.gap_id;
      if (id === skip || !rows.has(id)) continue;
      const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      for (let i = 0; i < ring.length - 2; i++) { // a point just inside an edge, checked
        const c = [(ring[i][0] * 4 + ring[i + 1][0] * 4 + ring[i + 2][0] * 2) / 10, (ring[i][1] * 4 + ring[i + 1][1] * 4 + ring[i + 2][1] * 2) / 10];
        const pt = m.project(c);
        const hit = m.queryRenderedFeatures(pt, {layers: ['gaps-fill']})[0];
        if (hit?.properties.gap_id === id) return {id, x: pt.x, y: pt.y};
      }
    }
    return null;
  }, target.gap_id);
  assert.ok(other, 'no other gap of this page is on the map');
  const box = await page.locator('#gaps-map canvas').boundingBox();
  await page.mouse.click(box.x + other.x, box.y + other.y);
  await page.waitForFunction((id) => window.gapmap.gaps.selected === id, other.id);
  assert.equal(await page.getAttribute(`#gaps-table tr[data-gap="${other.id}"]`, 'aria-selected'), 'true');
  assert.equal(await page.getAttribute(`#gaps-table tr[data-gap="${target.gap_id}"]`, 'aria-selected'), 'false');

  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('an export button downloads the API’s CSV, byte for byte', async () => {
  const page = await newPage(browser);
  await openGaps(page, 'planner');
  const href = await page.getAttribute('#export-csv', 'href');
  assert.match(href, /^\/api\/v1\/exports\/uncovered\?format=csv/);
  for (const f of ['xlsx', 'geojson', 'kml']) assert.match(await page.getAttribute(`#export-${f}`, 'href'), new RegExp(`format=${f}`));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const got = await readFile(await download.path());
  const want = Buffer.from(await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], href));
  assert.deepEqual([...got.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a BOM');
  const lines = got.toString('utf8').slice(1).split(/\r?\n/).filter(Boolean);
  assert.ok(lines.length > 1, 'the CSV has no data row');
  assert.match(lines[0], /lat|lon|h3/i, `header ${lines[0]}`);
  assert.ok(got.equals(want), 'the downloaded CSV differs from the API’s');
  assert.deepEqual(page.offsite, []);
});

test('an officer sees the gaps without export buttons; a viewer gets them', async () => {
  const page = await newPage(browser, {width: 820, height: 1180});
  await openGaps(page, 'officer');
  assert.equal(await page.locator('#gaps-exports').count(), 0, 'an officer sees export buttons');
  assert.equal(await page.locator('#plan-form').count(), 0, 'an officer sees the planner');
  assert.ok((await rowIds(page)).length > 0);
  await screenshot(page, 'gaps-tablet-officer');
  const viewer = await newPage(browser, {lang: 'en'});
  await openGaps(viewer, 'viewer');
  assert.equal(await viewer.locator('#gaps-exports a').count(), 4);
  assert.equal(await viewer.locator('#plan-form').count(), 0, 'a viewer sees the planner');
  assert.match(await viewer.textContent('#gaps-h'), /Gap areas/);
  assert.deepEqual(await viewer.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(viewer.offsite, []);
});

test('a planner makes a plan of 2 sites: progress, the sites on the map, the chart', async () => {
  const page = await newPage(browser);
  await openGaps(page, 'planner');
  await page.fill('#plan-value', '2');
  await page.click('#plan-run');
  await page.waitForSelector('#plan-progress:not([hidden])');
  await page.waitForFunction(() => window.gapmap.proposed?.length === 2, null, {timeout: 120000});
  await waitIdle(page);
  const polled = page.responses.filter(r => /\/api\/v1\/jobs\/\d+$/.test(r.url()));
  assert.ok(polled.length > 0, 'the job was not followed');
  assert.match(await page.textContent('#plan-phase'), /100/);
  const drawn = await page.evaluate(() => window.gapmap.map.queryRenderedFeatures({layers: ['proposed']}).map(f => f.properties.rank).sort());
  assert.deepEqual(drawn, [1, 2]);
  // The sites are the stored plan's.
  const job = await polled[polled.length - 1].json();
  const plan = await api(page, `/api/v1/coverage/runs/${job.result.run_id}/plan`);
  assert.equal(plan.status, 200);
  assert.equal(plan.body.steps.length, 2);
  const shown = await page.evaluate(() => window.gapmap.proposed);
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(shown[i].lat - plan.body.steps[i].lat) < 1e-6 && Math.abs(shown[i].lon - plan.body.steps[i].lon) < 1e-6, `site ${i + 1}`);
  }
  const canvas = await page.locator('#plan-chart').boundingBox();
  assert.ok(canvas && canvas.width > 100 && canvas.height > 100, 'no chart');
  // The whole page (map, table, plan and chart) for the screenshot.
  await page.setViewportSize({width: 1366, height: 1150});
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => new Promise(r => { const m = window.gapmap.map; m.once('idle', r); m.resize(); m.triggerRepaint(); setTimeout(r, 3000); }));
  await screenshot(page, 'plan');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.errors, []);
});

test('a what-if with a site placed on the map shows before and after', async () => {
  const page = await newPage(browser);
  await openGaps(page, 'planner');
  const run = await page.evaluate(() => window.gapmap.run);
  const top = (await api(page, `/api/v1/coverage/runs/${run}/gaps?limit=1`)).body.gaps[0];
  await page.click(`#gaps-table tr[data-gap="${top.gap_id}"]`);
  await page.waitForFunction(() => !window.gapmap.map.isMoving());
  await page.click('#whatif-place');
  assert.equal(await page.getAttribute('#whatif-place', 'aria-pressed'), 'true');
  await page.locator('#gaps-map').scrollIntoViewIfNeeded();
  const pt = await page.evaluate((c) => window.gapmap.map.project(c), top.centroid);
  const box = await page.locator('#gaps-map canvas').boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForFunction(() => !/chưa chọn|not chosen/.test(document.querySelector('#whatif-at').textContent));
  await page.fill('#whatif-range', '3000');
  await page.click('#whatif-run');
  await page.waitForSelector('#whatif-result:not([hidden])', {timeout: 120000});
  const w = await page.evaluate(() => window.gapmap.whatif);
  assert.ok(w.after < w.before, `weighted unconnected ${w.before} → ${w.after}`);
  await page.locator('#whatif-form').scrollIntoViewIfNeeded();
  await screenshot(page, 'gaps-whatif');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.errors, []);
});
