// Reports in a real browser: the progress by area shows the API's numbers
// for the top area and, for roles that may see them, the latest committed
// allocation run's devices and SIMs; the trend across coverage runs is a
// chart and a table with one row per run; printing hides the navigation;
// the app fits a tablet (820×1180); the login works with the keyboard only.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, api, waitIdle, users} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const province = process.env.GAPMAP_PROVINCE;

async function openReports(page) {
  await page.goto(page.url().split('#')[0] + '#/reports');
  await page.waitForFunction(() => window.gapmap.reports?.progress && window.gapmap.reports?.trend);
}

// cell reads one value of a progress row (data-v is the API's number,
// the text its formatted form).
async function cell(page, code, key) {
  const td = page.locator(`#reports-progress-table tr[data-code="${code}"] td[data-k="${key}"]`);
  return {v: await td.getAttribute('data-v'), text: await td.textContent()};
}

const digits = (s) => s.replace(/\D/g, '');

test('reports: progress by area shows the API\'s numbers, with the committed allocation', async () => {
  const page = await newPage(browser);
  await login(page, 'viewer');
  // The loading state shows while the data loads.
  const runsURL = (u) => u.pathname === '/api/v1/coverage/runs';
  await page.route(runsURL, async (route) => { await new Promise(r => setTimeout(r, 400)); await route.continue(); });
  await page.goto(page.url().split('#')[0] + '#/reports');
  await page.waitForSelector('#reports-trend-body .loading[role=status]');
  await page.waitForFunction(() => window.gapmap.reports?.progress && window.gapmap.reports?.trend);
  await page.unroute(runsURL);

  assert.ok(province, 'GAPMAP_PROVINCE is not set');
  const sum = await api(page, `/api/v1/areas/${province}/summary`);
  assert.equal(sum.status, 200);
  assert.equal(await page.inputValue('#reports-area'), province);
  const first = page.locator('#reports-progress-table tbody tr').first();
  assert.equal(await first.getAttribute('data-code'), province);
  for (const k of ['schools', 'schools_without_internet', 'students_t1', 'students_t2', 'students_t3', 'unconnected_students_t123']) {
    const c = await cell(page, province, k);
    assert.equal(Number(c.v), sum.body[k], `${k}: data-v ${c.v}, API ${sum.body[k]}`);
    assert.equal(digits(c.text), String(sum.body[k]), `${k}: shown ${c.text}, API ${sum.body[k]}`);
  }
  const cov = await cell(page, province, 'coverage_pct');
  assert.equal(Number(cov.v), sum.body.coverage_pct);
  assert.match(cov.text, /%/);
  assert.ok(sum.body.students_t1 + sum.body.students_t2 + sum.body.students_t3 > 0, 'the generated province has no students in need');

  // One row per child area of the province, each with the API's numbers.
  const tree = await api(page, '/api/v1/areas');
  const kids = tree.body.areas.filter(a => a.parent_code === province).map(a => a.code);
  const shown = await page.$$eval('#reports-progress-table tbody tr', trs => trs.map(tr => tr.dataset.code));
  assert.deepEqual(shown, [province, ...kids]);
  const kid = kids[0];
  const ks = await api(page, `/api/v1/areas/${kid}/summary`);
  assert.equal(Number((await cell(page, kid, 'students_t1')).v), ks.body.students_t1);
  assert.equal(Number((await cell(page, kid, 'schools_without_internet')).v), ks.body.schools_without_internet);

  // Devices and SIMs of the latest committed allocation run (viewers may
  // read those counts).
  const runs = await api(page, '/api/v1/allocation/runs');
  assert.equal(runs.status, 200);
  const committed = runs.body.runs.find(r => r.status === 'committed');
  assert.ok(committed, 'the harness committed no allocation run');
  const areas = await api(page, `/api/v1/allocation/runs/${committed.id}/areas`);
  const pa = areas.body.areas.find(a => a.code === province);
  assert.ok(pa, 'the province is not in the allocation areas');
  assert.ok(pa.allocated > 0, 'nothing allocated');
  assert.equal(Number((await cell(page, province, 'allocated')).v), pa.allocated);
  assert.equal(Number((await cell(page, province, 'sims_given')).v), pa.sims_given);
  const schools = await api(page, `/api/v1/allocation/runs/${committed.id}/schools`);
  const handed = schools.body.schools.reduce((n, s) => n + s.handed_over, 0);
  // The harness hands over two devices of its run; the allocation tests,
  // when they ran first, commit a newer run and hand over one of its.
  assert.ok(handed >= 1, "no device handed over in the newest committed run");
  assert.equal(Number((await cell(page, province, 'handed_over')).v), handed);
  // Each district's handed-over devices are its schools'; together the province's.
  let kidsHanded = 0;
  for (const k of kids) {
    const v = Number((await cell(page, k, 'handed_over')).v);
    const ka = areas.body.areas.find(a => a.code === k);
    assert.equal(Number((await cell(page, k, 'allocated')).v), ka ? ka.allocated : 0, `allocated in ${k}`);
    kidsHanded += v;
  }
  assert.equal(kidsHanded, handed);
  assert.match(await page.textContent('#reports-alloc-run'), new RegExp(`#${committed.id}`));

  // The trend: a chart and one table row per coverage run.
  const cr = await api(page, '/api/v1/coverage/runs?limit=500');
  assert.equal(await page.locator('#reports-chart').count(), 1);
  const rows = await page.$$eval('#reports-trend-table tbody tr', trs => trs.map(tr => Number(tr.dataset.run)));
  assert.deepEqual(rows, cr.body.runs.map(r => r.id).reverse());
  // Each run's analysis date (the areas valid that day).
  const days = await page.$$eval('#reports-trend-table tbody tr .c-day', tds => tds.map(td => td.dataset.day));
  assert.deepEqual(days, cr.body.runs.map(r => r.date).reverse());
  assert.ok(days.every(d => /^\d{4}-\d{2}-\d{2}$/.test(d)), days.join(' '));
  assert.ok((await page.evaluate(() => document.querySelector('#reports-chart').width)) > 0, 'the chart was not drawn');

  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'reports');

  // Print: no header, the print button hidden, the sections full width.
  await page.emulateMedia({media: 'print'});
  assert.equal(await page.isVisible('header'), false, 'the header is printed');
  assert.equal(await page.isVisible('#reports-print'), false, 'the print button is printed');
  const w = await page.evaluate(() => [document.querySelector('#reports-progress-table').getBoundingClientRect().width, document.querySelector('#reports-progress').getBoundingClientRect().width]);
  assert.ok(w[0] >= w[1] - 2, `the table is ${w[0]} px wide in a ${w[1]} px section`);
  const br = await page.evaluate(() => getComputedStyle(document.querySelector('#reports-trend')).breakBefore);
  assert.equal(br, 'page');
  if (process.env.GAPMAP_SCREENSHOTS) await page.screenshot({path: `${process.env.GAPMAP_SCREENSHOTS}/reports-print.png`, fullPage: true});
  await page.emulateMedia({media: 'screen'});
  assert.equal(await page.isVisible('header'), true);

  // The print button calls window.print.
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
  await page.click('#reports-print');
  assert.equal(await page.evaluate(() => window.__printed), 1);

  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('reports: an operator sees the coverage progress but no allocation counts', async () => {
  const page = await newPage(browser, {lang: 'en'});
  await login(page, 'viettel');
  await openReports(page);
  assert.equal(await page.locator('#reports-progress-table tbody tr').first().getAttribute('data-code'), province);
  assert.equal(await page.locator('#reports-progress-table td[data-k="allocated"]').count(), 0);
  assert.equal(await page.locator('#reports-progress .error').count(), 0);
  for (const r of page.responses) assert.ok(!new URL(r.url()).pathname.startsWith('/api/v1/allocation'), `operator asked ${r.url()}`);
  assert.match(await page.textContent('#reports-progress h2'), /Progress by area/);
  // The area picker: a district's row and its communes, with the API's numbers.
  const tree = await api(page, '/api/v1/areas');
  // Three tiers: a district; two tiers (since the 2025 reform): the province itself.
  const district = tree.body.areas.find(a => a.parent_code === province && tree.body.areas.some(c => c.parent_code === a.code)) ||
    tree.body.areas.find(a => a.code === province && tree.body.areas.some(c => c.parent_code === a.code));
  assert.ok(district, 'no area with communes');
  await page.selectOption('#reports-area', district.code);
  await page.waitForSelector(`#reports-progress-table tbody tr:first-child[data-code="${district.code}"]`);
  await page.waitForFunction(() => window.gapmap.reports.progress);
  const communes = tree.body.areas.filter(a => a.parent_code === district.code).map(a => a.code);
  assert.deepEqual(await page.$$eval('#reports-progress-table tbody tr', trs => trs.map(tr => tr.dataset.code)), [district.code, ...communes]);
  const ds = await api(page, `/api/v1/areas/${district.code}/summary`);
  const t1 = await page.getAttribute(`#reports-progress-table tr[data-code="${district.code}"] td[data-k="students_t1"]`, 'data-v');
  assert.equal(Number(t1), ds.body.students_t1);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'reports-operator');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('reports owed upward: the table and the source are the API\'s, with a download per format', async () => {
  const page = await newPage(browser);
  await login(page, 'planner');
  await openReports(page);
  await page.waitForFunction(() => window.gapmap.reports.upward);
  assert.deepEqual(await page.$$eval('#up-kind option', os => os.map(o => o.value)), ['progress', 'donors', 'handovers', 'connectivity']);
  // The progress report of the chosen area, as the API makes it.
  const q = new URLSearchParams({to: await page.inputValue('#up-to'), from: await page.inputValue('#up-from'), period: 'month', levels: '2', area: province});
  const rep = await api(page, `/api/v1/reports/progress?${q}`);
  assert.equal(rep.status, 200);
  const first = rep.body.areas[0];
  assert.equal(first.area_code, province);
  const row = page.locator(`#up-table tbody tr[data-code="${province}"]`).first();
  assert.equal(Number(await row.locator('td[data-k="need"]').getAttribute('data-v')), first.need);
  assert.equal(Number(await row.locator('td[data-k="devices_allocated_to_date"]').getAttribute('data-v')), first.devices_allocated_to_date);
  assert.equal(await page.textContent('#up-asof'), rep.body.source.as_of);
  for (const f of ['xlsx', 'csv', 'json']) {
    const href = await page.getAttribute(`.up-links a[data-format="${f}"]`, 'href');
    assert.match(href, new RegExp(`^/api/v1/reports/progress\\?.*format=${f}`));
    const res = await page.evaluate(async (h) => { const r = await fetch(h); return {status: r.status, type: r.headers.get('Content-Type')}; }, href);
    assert.equal(res.status, 200, `${f} download`);
  }
  // The monthly handovers.
  await page.evaluate(() => { window.gapmap.reports.upward = false; });
  await page.selectOption('#up-kind', 'handovers');
  await page.waitForFunction(() => window.gapmap.reports.upward);
  assert.equal(await page.getAttribute('#up-table', 'data-kind'), 'handovers');
  assert.ok(await page.locator('#up-table tbody tr').count() > 0);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'reports-upward');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('reports owed upward: an operator reads the connectivity report only', async () => {
  const page = await newPage(browser, {lang: 'en'});
  await login(page, 'viettel');
  await openReports(page);
  await page.waitForFunction(() => window.gapmap.reports.upward);
  assert.deepEqual(await page.$$eval('#up-kind option', os => os.map(o => o.value)), ['connectivity']);
  assert.equal(await page.getAttribute('#up-table', 'data-kind'), 'connectivity');
  assert.equal(await page.locator('#reports-upward .error').count(), 0);
  assert.deepEqual(page.errors, [], 'page errors');
});

test('reports: a failing API call shows the API\'s message', async () => {
  const page = await newPage(browser);
  await login(page, 'planner');
  await page.route(u => u.pathname === '/api/v1/coverage/runs', route => route.fulfill({status: 503, contentType: 'application/json',
    body: JSON.stringify({error: {code: 'unavailable', message: 'Cơ sở dữ liệu đang bận, thử lại sau.', details: []}})}));
  await page.goto(page.url().split('#')[0] + '#/reports');
  await page.waitForSelector('#reports-trend-body .error[role=alert]');
  assert.equal(await page.textContent('#reports-trend-body .error'), 'Cơ sở dữ liệu đang bận, thử lại sau.');
  // The other section still loads.
  await page.waitForSelector('#reports-progress-table');
  await screenshot(page, 'reports-error');
  assert.deepEqual(page.offsite, [], 'requests to another host');
});

test('tablet 820×1180: the map and the reports fit without horizontal scrolling', async () => {
  const page = await newPage(browser, {width: 820, height: 1180});
  await login(page, 'planner');
  await page.waitForFunction(() => window.gapmap.map);
  await waitIdle(page);
  const overflow = () => page.evaluate(() => ({sw: document.documentElement.scrollWidth, w: innerWidth}));
  let o = await overflow();
  assert.ok(o.sw <= o.w, `map: scrollWidth ${o.sw} > innerWidth ${o.w}`);
  await screenshot(page, 'tablet-map');
  await openReports(page);
  o = await overflow();
  assert.ok(o.sw <= o.w, `reports: scrollWidth ${o.sw} > innerWidth ${o.w}`);
  await screenshot(page, 'reports-tablet');
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('keyboard only: Tab to the fields, type, Enter logs in', async () => {
  const page = await newPage(browser);
  await page.goto(new URL('/#/login', process.env.GAPMAP_URL).href);
  await page.waitForSelector('#login-name');
  const active = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  for (let i = 0; i < 10 && await active() !== 'login-name'; i++) await page.keyboard.press('Tab');
  assert.equal(await active(), 'login-name', 'Tab never reached the user name');
  await page.keyboard.type(users.officer.name);
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'login-password');
  await page.keyboard.type(users.officer.password);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.gapmap?.state?.user);
  assert.equal(await page.evaluate(() => window.gapmap.state.user.name), 'officer');
  // The navigation is reachable by the keyboard too (the page's main
  // area has the focus; the header comes before it).
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  let found = false;
  for (let i = 0; i < 15 && !found; i++) {
    await page.keyboard.press('Shift+Tab');
    found = await page.evaluate(() => document.activeElement?.getAttribute('href') === '#/reports');
  }
  assert.ok(found, 'Tab never reached the reports link');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.gapmap.reports?.progress && window.gapmap.reports?.trend);
  assert.equal(await page.evaluate(() => location.hash), '#/reports');
  assert.deepEqual(page.offsite, [], 'requests to another host');
});
