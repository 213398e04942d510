// SIMs ending soon and their renewal in a real browser: the officer's
// list equals the API's for the days chosen (the fixture's SIM, handed over
// with its ICCID, is on it), the CSV and XLSX links download the same list,
// a window the API refuses and a renewal with an unknown package show the
// API's own message, and a renewal with a package in stock extends the
// service by the package's months. Planners and viewers never get the
// list (it holds student ids); operators never reach the page.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, api} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The ICCID of the SIM the fixture hands over (browser_test.go).
const fixtureICCID = '8984020000000000011';

async function openAllocation(page) {
  await page.waitForFunction(() => window.gapmap.map);
  await page.goto(process.env.GAPMAP_URL + '/#/allocation');
}

async function postJSON(page, path, body) {
  return page.evaluate(async ([p, b]) => {
    const me = await (await fetch('/api/v1/me')).json();
    const r = await fetch(p, {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}, body: JSON.stringify(b)});
    return {status: r.status, body: await r.json()};
  }, [path, body]);
}

// addMonths adds months to a day (YYYY-MM-DD) as PostgreSQL's date +
// interval does: the day of the month kept, or the month's last day.
function addMonths(day, months) {
  const [y, m, d] = day.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

test('addMonths follows PostgreSQL on hand-checked days', () => {
  assert.equal(addMonths('2027-03-01', 3), '2027-06-01');
  assert.equal(addMonths('2026-11-30', 3), '2027-02-28');
  assert.equal(addMonths('2027-11-15', 2), '2028-01-15');
});

// shownRows reads the ending table.
async function shownRows(page) {
  return page.$$eval('#alloc-ending tbody tr', trs => trs.map(tr => ({
    student: tr.dataset.student, iccid: tr.querySelector('.c-iccid').textContent, ends: tr.querySelector('.c-ends').dataset.day,
    left: tr.querySelector('.c-left').textContent, renewals: tr.querySelector('.c-renewals').textContent, pkg: tr.querySelector('.c-package').textContent})));
}

async function showDays(page, days) {
  await page.fill('#alloc-ending-days', String(days));
  await page.click('#alloc-ending-form button[type=submit]');
}

test('the officer lists the SIMs ending soon, downloads them, and renews one (errors shown as the API words them)', async () => {
  const page = await newPage(browser);
  await login(page, 'officer');
  await openAllocation(page);
  await page.waitForSelector('#alloc-ending-status[data-count]');
  assert.equal(await page.inputValue('#alloc-ending-days'), '30');

  // The default window (30 days) is the API's.
  const d30 = await api(page, '/api/v1/allocation/sims/ending?within_days=30');
  assert.equal(d30.status, 200);
  assert.equal(await page.getAttribute('#alloc-ending-status', 'data-count'), String(d30.body.sims.length));
  assert.equal(await page.locator('#alloc-ending tbody tr').count(), d30.body.sims.length);

  // A year: the fixture's SIM (handed over today, a 2–3 month package) is on it.
  await showDays(page, 400);
  const d400 = await api(page, '/api/v1/allocation/sims/ending?within_days=400');
  assert.equal(d400.status, 200);
  assert.equal(d400.body.within_days, 400);
  await page.waitForSelector(`#alloc-ending-status[data-count="${d400.body.sims.length}"]`);
  const rows = await shownRows(page);
  assert.deepEqual(rows.map(r => r.student), d400.body.sims.map(e => e.student_id));
  const mine = d400.body.sims.find(e => e.sim_iccid === fixtureICCID);
  assert.ok(mine, `the fixture's SIM is not in ${JSON.stringify(d400.body.sims.map(e => e.sim_iccid))}`);
  const row = rows.find(r => r.student === mine.student_id);
  assert.equal(row.iccid, fixtureICCID);
  assert.equal(row.ends, mine.ends_on.slice(0, 10));
  assert.equal(Number(row.left.replace(/\D/g, '')), mine.days_left);
  assert.equal(row.renewals, '0');
  assert.equal(mine.renewals, 0);
  assert.equal(row.pkg, mine.package_id);
  assert.equal(mine.handover_status, 'handed_over');
  assert.equal(await page.getAttribute(`#alloc-ending tr[data-student="${mine.student_id}"]`, 'data-status'), 'handed_over');
  assert.ok(mine.days_left > 30 && mine.days_left <= 400, `days left ${mine.days_left}`);
  assert.match(await page.textContent('#alloc-ending-status'), new RegExp(`^${d400.body.sims.length} SIM`));

  // CSV and XLSX: the links follow the days and download the same list.
  const csvHref = await page.getAttribute('#alloc-ending-csv', 'href');
  assert.equal(csvHref, '/api/v1/allocation/sims/ending?within_days=400&format=csv');
  assert.equal(await page.getAttribute('#alloc-ending-xlsx', 'href'), '/api/v1/allocation/sims/ending?within_days=400&format=xlsx');
  const files = await page.evaluate(async ([c, x]) => {
    const rc = await fetch(c);
    const raw = new Uint8Array(await rc.arrayBuffer());
    const text = new TextDecoder('utf-8', {ignoreBOM: true}).decode(raw);
    const rx = await fetch(x);
    const b = new Uint8Array(await rx.arrayBuffer());
    return {csvStatus: rc.status, csvType: rc.headers.get('content-type'), csvBOM: text.charCodeAt(0), csvLines: text.trim().split('\n').length, csv: text,
      xlsxStatus: rx.status, xlsxType: rx.headers.get('content-type'), first: String.fromCharCode(b[0], b[1])};
  }, [csvHref, '/api/v1/allocation/sims/ending?within_days=400&format=xlsx']);
  assert.equal(files.csvStatus, 200);
  assert.match(files.csvType, /text\/csv/);
  assert.equal(files.csvBOM, 0xFEFF, 'the CSV starts with a BOM (UTF-8)');
  assert.ok(files.csv.includes(fixtureICCID), 'the CSV holds the fixture SIM');
  assert.ok(files.csvLines >= d400.body.sims.length + 1, `${files.csvLines} CSV lines for ${d400.body.sims.length} SIMs`);
  assert.equal(files.xlsxStatus, 200);
  assert.match(files.xlsxType, /spreadsheetml/);
  assert.equal(files.first, 'PK');

  // A window the API refuses: its message, and the list is gone.
  const refused = await api(page, '/api/v1/allocation/sims/ending?within_days=5000');
  assert.equal(refused.status, 422);
  await showDays(page, 5000);
  await page.waitForSelector('#alloc-ending-error #alloc-error-message');
  assert.equal(await page.textContent('#alloc-ending-error #alloc-error-message'), refused.body.error.message);
  assert.equal(await page.locator('#alloc-ending tbody tr').count(), 0);
  await showDays(page, 400);
  await page.waitForSelector(`#alloc-ending tr[data-student="${mine.student_id}"]`);
  assert.equal(await page.locator('#alloc-ending-error *').count(), 0, 'the old error stays');

  // A renewal with an unknown package: the API's message, nothing changed.
  const sel = `#alloc-ending tr[data-student="${mine.student_id}"]`;
  const unknown = await postJSON(page, `/api/v1/allocation/students/${mine.student_id}/renew`, {package_id: 'SIM-KHONG-CO'});
  assert.equal(unknown.status, 404);
  await page.fill(`${sel} .renew-package`, 'SIM-KHONG-CO');
  await page.click(`${sel} form.alloc-renew button`);
  await page.waitForSelector('#alloc-renew-error #alloc-error-message');
  assert.equal(await page.textContent('#alloc-renew-error #alloc-error-message'), unknown.body.error.message);
  assert.equal(await page.getAttribute('#alloc-renew-failed', 'data-student'), mine.student_id);
  assert.ok((await page.textContent('#alloc-renew-failed')).includes(mine.student_id));
  const still = await api(page, `/api/v1/allocation/students/${mine.student_id}`);
  assert.equal(still.body.allocation.handover.sim_renewals ?? 0, 0);

  // A package of the SIM's operator in stock (uploaded here: the
  // allocation may have used the generated ones): renewed for its 3 months
  // from the current end, which is later than today.
  const pkgs = `package_id,operator,gb_per_day,months,quantity\nSIMGH001,${mine.operator},4,3,5\n`;
  await page.setInputFiles('#alloc-sims', {name: 'goi_gia_han.csv', mimeType: 'text/csv', buffer: Buffer.from(pkgs)});
  await page.click('#alloc-inv-form button[type=submit]');
  await page.waitForSelector('#alloc-inv-result #alloc-inv-sims');
  await page.fill(`${sel} .renew-package`, 'SIMGH001');
  await page.click(`${sel} form.alloc-renew button`);
  await page.waitForSelector('#alloc-renew-done');
  const want = addMonths(mine.ends_on.slice(0, 10), 3);
  assert.equal(await page.getAttribute('#alloc-renew-done', 'data-ends'), want);
  assert.equal(await page.getAttribute('#alloc-renew-done', 'data-student'), mine.student_id);
  await page.waitForFunction(([s, w]) => document.querySelector(`#alloc-ending tr[data-student="${s}"] .c-ends`)?.dataset.day === w, [mine.student_id, want]);
  assert.equal(await page.textContent(`${sel} .c-renewals`), '1');
  const renewed = await api(page, `/api/v1/allocation/students/${mine.student_id}`);
  assert.equal(renewed.body.allocation.handover.sim_renewals, 1);
  assert.equal(renewed.body.allocation.handover.sim_ends_on.slice(0, 10), want);
  const d400b = await api(page, '/api/v1/allocation/sims/ending?within_days=400');
  const again = d400b.body.sims.find(e => e.student_id === mine.student_id);
  assert.equal(again.renewals, 1);
  assert.equal(again.package_id, 'SIMGH001');
  assert.equal(again.days_left, mine.days_left + (Date.parse(want) - Date.parse(mine.ends_on.slice(0, 10))) / 86400000);

  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await page.locator('#alloc-ending-card').scrollIntoViewIfNeeded();
  await screenshot(page, 'allocation-sims-ending');

  // English: the section's strings switch.
  await page.click('#lang');
  await page.waitForFunction(() => document.querySelector('#alloc-ending-card h2')?.textContent === 'SIMs ending soon');
  await page.waitForSelector('#alloc-ending-status[data-count]');
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('planners and viewers get no list of SIMs ending (student ids); the API refuses them', async () => {
  for (const name of ['planner', 'viewer']) {
    const page = await newPage(browser, {lang: 'en'});
    await login(page, name);
    await openAllocation(page);
    await page.waitForSelector('#alloc-areas tbody tr');
    assert.equal(await page.$('#alloc-ending-card'), null, `${name} sees the SIMs ending`);
    const r = await api(page, '/api/v1/allocation/sims/ending?within_days=400');
    assert.equal(r.status, 403, `${name}: ${JSON.stringify(r.body)}`);
    assert.ok(!page.responses.some(x => x.url().includes('/sims/ending') && x.status() === 200), `${name} got the list`);
    assert.deepEqual(page.errors, []);
  }
});
