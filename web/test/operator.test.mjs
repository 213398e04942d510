// The operator view in a real browser: a bad upload lists every row error
// (row and column) and changes nothing; a good one writes its rows, which
// the list shows and can delete; the no-network export downloads a file;
// the gaps closed since the previous run match the API; an operator never
// sees an allocation link nor receives student or household data; nothing
// is requested from another host.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {launch, newPage, login, screenshot, api, base} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const csv = (rows) => Buffer.from(rows.map(r => r.join(',')).join('\n') + '\n');

// noPersonalData checks every JSON response of the page: no household or
// student id, no request to a personal-data endpoint.
async function noPersonalData(page) {
  for (const r of page.responses) {
    const url = r.url();
    assert.doesNotMatch(url, /\/(students|households|allocation)\b/, `the page asked for ${url}`);
    const ct = r.headers()['content-type'] || '';
    if (!ct.includes('json')) continue;
    const body = await r.text().catch(() => '');
    assert.doesNotMatch(body, /H[HS]\d{8}/, `${url} holds a household or student id`);
  }
}

async function openPage(page) {
  // Let the first page (the map) finish rendering before leaving it.
  await page.waitForFunction(() => window.gapmap.map || document.querySelector('#details')?.textContent);
  await page.goto(base + '/#/operator');
  await page.waitForSelector('#op-upload');
  await page.waitForFunction(() => document.querySelector('#op-pageinfo')?.textContent);
}

async function siteCount(page) {
  const r = await api(page, '/api/v1/sites?operator=viettel&limit=1');
  assert.equal(r.status, 200);
  return r.body.total;
}

async function upload(page, name, buffer, {dryRun = false} = {}) {
  await page.selectOption('#op-kind', 'sites');
  await page.setInputFiles('#op-file', {name, mimeType: 'text/csv', buffer});
  if (dryRun) await page.check('#op-dry'); else await page.uncheck('#op-dry');
  const resp = page.waitForResponse(r => r.url().includes('/api/v1/imports/sites'));
  await page.click('#op-send');
  const r = await resp;
  return {status: r.status(), body: await r.json()};
}

test('a bad sites file lists every row error with row and column, and changes nothing', async () => {
  const page = await newPage(browser);
  await login(page, 'viettel');
  assert.equal(await page.locator('header nav a[href="#/allocation"]').count(), 0, 'an operator sees an allocation link');
  assert.doesNotMatch(await page.textContent('header nav'), /Phân bổ/);
  await openPage(page);
  assert.equal(await page.textContent('#op-bound'), 'viettel');
  const before = await siteCount(page);
  assert.ok(before > 0, 'viettel has no site to start with');

  const bad = csv([
    ['site_id', 'operator', 'technology', 'band_mhz', 'lat', 'lon'],
    ['BAD-1', 'viettel', '4G', '1800', '95.5', '106.2'], // row 2: latitude outside Vietnam
    ['BAD-2', 'viettel', '6G', '1800', '21.3', '106.2'], // row 3: unknown technology
    ['BAD-3', 'mobifone', '4G', '1800', '21.3', '106.2'], // row 4: another operator's row
    ['BAD-4', 'viettel', '4G', '1800', '21.3', '106.2'], // row 5: good
  ]);
  const r = await upload(page, 'bad_sites.csv', bad);
  assert.equal(r.status, 422);
  const details = r.body.error.details;
  await page.waitForSelector('#op-errors');
  // Every error of the API, row by row, in the table.
  const shown = await page.$$eval('#op-errors tbody tr', trs => trs.map(tr => [...tr.cells].map(td => td.textContent.trim())));
  assert.equal(shown.length, details.length, 'not every error is shown');
  details.forEach((d, i) => {
    assert.equal(shown[i][0], d.file || '');
    assert.equal(shown[i][1], d.row ? String(d.row) : '—');
    assert.equal(shown[i][2], d.column || '');
    assert.equal(shown[i][3], d.value || '');
    assert.equal(shown[i][4], d.reason);
  });
  const at = (row, column) => shown.find(s => s[1] === String(row) && s[2] === column);
  assert.ok(at(2, 'lat'), `no error for the bad latitude in ${JSON.stringify(shown)}`);
  assert.ok(at(3, 'technology'), `no error for the unknown technology in ${JSON.stringify(shown)}`);
  assert.ok(at(4, 'operator'), `no error for the other operator's row in ${JSON.stringify(shown)}`);
  assert.ok(!shown.some(s => s[1] === '5'), 'the good row is reported');
  assert.equal(await page.textContent('#op-nothing'), 'Không có gì bị thay đổi.');
  assert.match(await page.textContent('.op-failed'), /3/);
  assert.equal(await siteCount(page), before, 'the bad upload changed the sites');
  await screenshot(page, 'operator-errors');

  await noPersonalData(page);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('a good sites file writes its rows, listed and deletable; the exports download; the closed gaps match the API', async () => {
  const page = await newPage(browser);
  await login(page, 'viettel');
  await openPage(page);
  const before = await siteCount(page);
  // Two sectors in the biggest gap area, so the next run closes gaps.
  const gaps = await api(page, '/api/v1/coverage/runs/latest/gaps?sort=households&order=desc&limit=1');
  assert.equal(gaps.status, 200);
  const [lon, lat] = gaps.body.gaps[0].centroid;
  const good = csv([
    ['site_id', 'operator', 'technology', 'band_mhz', 'lat', 'lon', 'azimuth_deg', 'beamwidth_deg', 'range_m'],
    ['000TEST', 'viettel', '4G', '1800', lat.toFixed(6), lon.toFixed(6), '', '', '6000'],
    ['000TEST', 'viettel', '4G', '1800', lat.toFixed(6), lon.toFixed(6), '120', '65', '6000'],
  ]);
  // A check first: nothing written.
  let r = await upload(page, 'good_sites.csv', good, {dryRun: true});
  assert.equal(r.status, 200);
  assert.equal(r.body.dry_run, true);
  await page.waitForSelector('#op-ok');
  assert.match(await page.textContent('#op-ok'), /Không có gì được ghi/);
  assert.equal(await siteCount(page), before);
  r = await upload(page, 'good_sites.csv', good);
  assert.equal(r.status, 200);
  assert.equal(r.body.inserted, 2);
  await page.waitForFunction(() => /Đã ghi 2/.test(document.querySelector('#op-ok')?.textContent || ''));
  assert.equal(await siteCount(page), before + 2);
  await page.waitForSelector('#op-net-table tr[data-id="000TEST/1"]');
  await page.waitForSelector('#op-net-table tr[data-id="000TEST/2"]');

  // Delete one row, confirmed first (a refusal deletes nothing).
  page.once('dialog', d => d.dismiss());
  await page.click('#op-net-table tr[data-id="000TEST/2"] .op-del');
  await page.waitForTimeout(300);
  assert.equal(await siteCount(page), before + 2, 'deleted without confirmation');
  page.once('dialog', d => { assert.match(d.message(), /000TEST\/2/); d.accept(); });
  const gone = page.waitForResponse(r => r.request().method() === 'DELETE');
  await page.click('#op-net-table tr[data-id="000TEST/2"] .op-del');
  assert.equal((await gone).status(), 204);
  await page.waitForFunction(() => !document.querySelector('#op-net-table tr[data-id="000TEST/2"]'));
  assert.equal(await siteCount(page), before + 1);

  // The other lists page through the network.
  await page.selectOption('#op-list', 'nodes');
  await page.waitForFunction(() => document.querySelector('#op-net-table th')?.textContent === 'Mã điểm' || document.querySelector('#op-table p'));
  await page.selectOption('#op-list', 'sites');
  await page.waitForSelector('#op-net-table tr[data-id="000TEST/1"]');
  if (!(await page.isDisabled('#op-next'))) {
    await page.click('#op-next');
    await page.waitForFunction(() => /^21/.test(document.querySelector('#op-pageinfo').textContent));
    await page.click('#op-prev');
    await page.waitForSelector('#op-net-table tr[data-id="000TEST/1"]');
  }

  // The no-network export downloads a file whose rows are the API's.
  const href = await page.getAttribute('#op-exp-no_network-csv', 'href');
  assert.match(href, /view=no_network/);
  assert.doesNotMatch(href, /operator=/);
  const dl = page.waitForEvent('download');
  await page.click('#op-exp-no_network-csv');
  const file = await (await dl).path();
  const text = await readFile(file, 'utf8');
  const lines = text.trim().split(/\r?\n/);
  assert.ok(lines.length > 1, `the export has no row: ${text.slice(0, 200)}`);
  const again = await page.evaluate(async (h) => (await fetch(h)).text(), href);
  assert.equal(again.trim().split(/\r?\n/).length, lines.length);
  assert.doesNotMatch(text, /H[HS]\d{8}/, 'the export holds a household or student id');
  assert.match(await page.getAttribute('#op-exp-operator-kml', 'href'), /view=operator&format=kml/);

  // A new coverage run (as the planner would start it) with the new site:
  // the page compares the two newest runs as the API does.
  const planner = await newPage(browser);
  await login(planner, 'planner');
  const job = await planner.evaluate(async () => {
    const me = await (await fetch('/api/v1/me')).json();
    const r = await fetch('/api/v1/coverage/runs', {method: 'POST', headers: {'X-CSRF-Token': me.csrf_token}});
    let j = await r.json();
    while (j.status === 'running') {
      await new Promise(res => setTimeout(res, 300));
      j = await (await fetch(`/api/v1/jobs/${j.id}`)).json();
    }
    return j;
  });
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  await planner.context().close();

  await page.reload();
  await page.waitForSelector('#op-closed-total');
  const runs = (await api(page, '/api/v1/coverage/runs?limit=50')).body.runs.filter(r => !r.what_if_sectors.length);
  const closed = await api(page, `/api/v1/coverage/runs/${runs[0].id}/closed?since=${runs[1].id}&limit=200`);
  assert.equal(closed.status, 200);
  assert.equal(closed.body.operator, 'viettel');
  assert.ok(closed.body.totals.cells > 0, 'the new site closed no cell');
  const total = await page.textContent('#op-closed-total');
  assert.ok(total.includes(`Tổng: ${closed.body.totals.cells.toLocaleString('vi-VN')} ô`), `${total} vs ${JSON.stringify(closed.body.totals)}`);
  const h3s = await page.$$eval('#op-closed-table tbody tr', trs => trs.map(tr => tr.dataset.h3));
  assert.deepEqual(h3s, closed.body.cells.map(c => c.h3));
  await screenshot(page, 'operator');

  await noPersonalData(page);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.equal(await page.locator('a[href*="allocation"]').count(), 0, 'an allocation link on the page');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('a planner chooses the operator; the page works in English at tablet width', async () => {
  const page = await newPage(browser, {lang: 'en', width: 820, height: 1180});
  await login(page, 'planner');
  await page.waitForFunction(() => window.gapmap.map || document.querySelector('#details')?.textContent);
  await page.goto(base + '/#/operator');
  await page.waitForSelector('#op-operator');
  assert.equal(await page.isHidden('#op-body'), true);
  assert.match(await page.textContent('#op-choose'), /Choose an operator/);
  await page.selectOption('#op-operator', 'viettel');
  await page.waitForFunction(() => document.querySelector('#op-pageinfo')?.textContent);
  assert.match(await page.textContent('#op-pageinfo'), /of/);
  assert.match(await page.getAttribute('#op-exp-operator-csv', 'href'), /operator=viettel/);
  // The planner's upload is scoped to the chosen operator: a mobifone row is refused.
  const r = await upload(page, 'mixed.csv', csv([
    ['site_id', 'operator', 'technology', 'band_mhz', 'lat', 'lon'],
    ['MIX-1', 'mobifone', '4G', '1800', '21.3', '106.2'],
  ]), {dryRun: true});
  assert.equal(r.status, 422);
  await page.waitForSelector('#op-errors');
  assert.match(await page.textContent('#op-nothing'), /Nothing was changed/);
  assert.match(await page.textContent('#op-errors'), /operator/);
  // No horizontal overflow of the page at tablet width.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page overflows at 820 px');
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'operator-tablet-en');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});
