// Allocation in a real browser: the officer previews (progress to done),
// the per-area table and chart match the API, commits after confirming,
// downloads a school's handover list (XLSX), records a handover (a valid
// ICCID; an invalid one refused with the API's message); a bad inventory
// file shows its row errors; a viewer gets counts only; an operator gets
// the forbidden page. No request leaves the machine.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, api} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// luhnICCID makes a 19-digit ICCID whose last digit is its Luhn check digit.
function luhnICCID(body18) {
  let sum = 0;
  for (let i = 0; i < body18.length; i++) {
    let d = Number(body18[body18.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return body18 + String((10 - (sum % 10)) % 10);
}

// openAllocation goes to the page once the first page (the map) has
// finished loading, so that its late work does not land on this page.
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

test('the officer previews, checks areas and chart, commits, downloads a handover list and records a handover', async () => {
  const page = await newPage(browser);
  await login(page, 'officer');
  await openAllocation(page);
  await page.waitForSelector('#alloc-preview');
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);

  // A bad inventory file: every row error by row and column, nothing written.
  const bad = 'device_id,donor,type,os,os_version,ram_gb,storage_gb,free_storage_gb,has_charger\nDX1,A,toaster,android,10,3,32,20,true\nDX1,A,phone,android,10,abc,32,20,true\n';
  await page.setInputFiles('#alloc-devices', {name: 'Hong.csv', mimeType: 'text/csv', buffer: Buffer.from(bad)});
  await page.click('#alloc-inv-form button[type=submit]');
  await page.waitForSelector('#alloc-inv-result .alloc-errors');
  const rows = await page.$$eval('#alloc-inv-result .alloc-errors tbody tr', trs => trs.map(tr => ({row: tr.dataset.row, column: tr.dataset.column, text: tr.textContent})));
  assert.ok(rows.some(r => r.row === '2'), `no error on row 2: ${JSON.stringify(rows)}`);
  assert.ok(rows.some(r => r.row === '3'), `no error on row 3: ${JSON.stringify(rows)}`);
  assert.ok(rows.every(r => r.text.includes('Hong.csv')), 'errors name the uploaded file');
  assert.ok((await page.textContent('#alloc-error-message')).length > 0);

  // A good inventory file: new devices (the harness's committed run has
  // used the generated ones), so the preview has something to allocate.
  const fresh = 'device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n' +
    Array.from({length: 12}, (_, i) => `DW${String(i + 1).padStart(5, '0')},Quỹ thử nghiệm,tablet,android,12,2,4,32,20,true,true,true,true,true,true,SN-DW${i + 1},,`).join('\n') + '\n';
  await page.setInputFiles('#alloc-devices', {name: 'thiet_bi.csv', mimeType: 'text/csv', buffer: Buffer.from(fresh)});
  await page.click('#alloc-inv-form button[type=submit]');
  await page.waitForSelector('#alloc-inv-result table:not(.alloc-errors)');

  // Preview: the tier order chosen (strict by default; fair here), progress
  // to done, then the run is shown with its tier order.
  assert.equal(await page.inputValue('#alloc-tier-order'), 'strict');
  await page.selectOption('#alloc-tier-order', 'fair');
  await page.click('#alloc-preview');
  await page.waitForSelector('#alloc-job-percent');
  await page.waitForSelector('#alloc-job-status[data-status="succeeded"]', {state: 'attached', timeout: 120000});
  assert.match(await page.textContent('#alloc-job-percent'), /100/);
  await page.waitForFunction(() => window.gapmap.alloc?.run?.status === 'preview');
  const preview = await page.evaluate(() => window.gapmap.alloc.run.id);
  await page.waitForSelector(`#alloc-runs-table tr[data-run="${preview}"].sel`);
  assert.equal(await page.getAttribute('#alloc-run-tier-order', 'data-order'), 'fair');
  assert.equal(await page.getAttribute(`#alloc-runs-table tr[data-run="${preview}"] .c-tier-order`, 'data-order'), 'fair');
  assert.equal(await page.textContent(`#alloc-runs-table tr[data-run="${preview}"] .c-tier-order`), 'Công bằng giữa địa bàn');
  const one = await api(page, `/api/v1/allocation/runs/${preview}`);
  assert.equal(one.body.run.settings.tier_order, 'fair');
  assert.match(await page.textContent('#alloc-total-equipped'), /%/);

  // The per-area table is the API's.
  const areas = await api(page, `/api/v1/allocation/runs/${preview}/areas`);
  assert.equal(areas.status, 200);
  const num = (s) => Number(String(s).replace(/\D/g, ''));
  const table = await page.$$eval('#alloc-areas tr[data-code]', trs => trs.map(tr => ({code: tr.dataset.code,
    needs: tr.querySelector('.c-needs').textContent, allocated: tr.querySelector('.c-allocated').textContent, unmet: tr.querySelector('.c-unmet').textContent})));
  const total = table.find(r => r.code === 'total');
  assert.equal(num(total.needs), areas.body.totals.needs);
  assert.equal(num(total.allocated), areas.body.totals.allocated);
  assert.equal(num(total.unmet), areas.body.totals.unmet);
  assert.ok(areas.body.totals.allocated > 0, 'the preview allocated nothing');
  assert.equal(table.length, areas.body.areas.length + 1);
  // 3G SIMs (the 3G fallback): the totals, every area's and every school's.
  assert.equal(num(await page.textContent('#alloc-total-sims3g')), areas.body.totals.sims_3g ?? 0);
  assert.equal(num(await page.textContent('#alloc-total-sims')), areas.body.totals.sims_given);
  const sims3g = await page.$$eval('#alloc-areas tbody tr[data-code]', trs => Object.fromEntries(trs.map(tr => [tr.dataset.code, tr.querySelector('.c-sims3g').textContent])));
  for (const a of areas.body.areas) assert.equal(num(sims3g[a.code]), a.sims_3g ?? 0, `3G SIMs of ${a.code}`);
  // Priority tags and area weights, when the API gives them.
  if (areas.body.areas.some(a => a.area_weight !== undefined)) {
    const prio = await page.$$eval('#alloc-areas tbody tr[data-code]', trs => Object.fromEntries(trs.map(tr => [tr.dataset.code, tr.querySelector('.c-prio').dataset.weight])));
    for (const a of areas.body.areas) assert.equal(prio[a.code], a.area_weight === undefined ? '' : String(a.area_weight), `area weight of ${a.code}`);
  }
  for (const a of areas.body.areas) {
    const r = table.find(x => x.code === a.code);
    assert.ok(r, `area ${a.code} missing from the table`);
    assert.equal(num(r.needs), a.needs, `needs of ${a.code}`);
    assert.equal(num(r.allocated), a.allocated, `allocated of ${a.code}`);
  }
  // The chart: a canvas drawn by Chart.js with needs and allocated.
  assert.ok(await page.$('#alloc-chart'));
  const ds = await page.evaluate(() => window.gapmap.alloc.chart.data.datasets.map(d => d.data.length));
  assert.equal(ds.length, 2);
  assert.ok(ds[0] > 0);
  // The explanation of every share, and the per-school table.
  const units = await api(page, `/api/v1/allocation/runs/${preview}/units`);
  assert.equal(await page.locator('#alloc-units tbody tr').count(), units.body.units.length);
  assert.ok(units.body.units.length > 0);
  const schools = await api(page, `/api/v1/allocation/runs/${preview}/schools`);
  assert.equal(await page.locator('#alloc-schools tbody tr').count(), schools.body.schools.length);
  const schools3g = await page.$$eval('#alloc-schools tbody tr', trs => Object.fromEntries(trs.map(tr => [tr.dataset.school, tr.querySelector('.c-sims3g').textContent])));
  for (const sc of schools.body.schools) assert.equal(num(schools3g[sc.school_id]), sc.sims_3g, `3G SIMs of school ${sc.school_id}`);
  await page.locator('#alloc-run').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('#alloc-run').scrollIntoView({block: 'start'}));
  assert.equal(await page.locator('#toast .msg.error').count(), 0, await page.textContent('#toast'));
  await screenshot(page, 'allocation-preview');

  // Commit, after confirming in the dialog.
  await page.click('#alloc-commit');
  await page.waitForSelector('#alloc-dialog[open]');
  await page.click('#alloc-confirm');
  await page.waitForFunction(() => window.gapmap.alloc?.run?.status === 'committed', null, {timeout: 120000});
  const committed = await page.evaluate(() => window.gapmap.alloc.run.id);
  assert.notEqual(committed, preview);
  const run = await api(page, `/api/v1/allocation/runs/${committed}`);
  assert.equal(run.body.run.status, 'committed');
  assert.equal(run.body.totals.allocated, areas.body.totals.allocated);

  // A school: its handover list as XLSX, and a handover.
  const cs = await api(page, `/api/v1/allocation/runs/${committed}/schools`);
  const school = cs.body.schools.find(s => s.pending > 0);
  assert.ok(school, 'no school with a pending handover');
  await page.click(`#alloc-schools tr[data-school="${school.school_id}"] .alloc-open-school`);
  await page.waitForSelector(`#alloc-school-card[data-school="${school.school_id}"]`);
  const href = await page.getAttribute('#alloc-handover-xlsx', 'href');
  assert.equal(href, `/api/v1/allocation/runs/${committed}/schools/${encodeURIComponent(school.school_id)}/handover.xlsx`);
  const head = await page.evaluate(async (h) => {
    const r = await fetch(h);
    const b = new Uint8Array(await r.arrayBuffer());
    return {status: r.status, type: r.headers.get('content-type'), first: String.fromCharCode(b[0], b[1]), size: b.length};
  }, href);
  assert.equal(head.status, 200);
  assert.equal(head.first, 'PK', 'the handover list is not a ZIP/XLSX');
  assert.match(head.type, /spreadsheetml/);
  const detail = await api(page, `/api/v1/allocation/runs/${committed}/schools/${encodeURIComponent(school.school_id)}`);
  assert.equal(await page.locator('#alloc-students tbody tr').count(), detail.body.allocations.length);
  const student = (detail.body.allocations.find(a => a.handover?.status === 'pending' && a.sim_package_id) ||
    detail.body.allocations.find(a => a.handover?.status === 'pending')).student_id;

  // An invalid ICCID: refused with the API's message.
  await page.selectOption('#alloc-rec-student', student);
  await page.selectOption('#alloc-rec-action', 'handover');
  const wrong = luhnICCID('898401234567890123').slice(0, 18) + String((Number(luhnICCID('898401234567890123').at(-1)) + 1) % 10);
  const refused = await postJSON(page, `/api/v1/allocation/students/${student}/handover`, {iccid: wrong});
  assert.equal(refused.status, 422);
  await page.fill('#alloc-rec-iccid', wrong);
  await page.click('#alloc-record button[type=submit]');
  await page.waitForSelector('#alloc-rec-error #alloc-error-message');
  assert.equal(await page.textContent('#alloc-rec-error #alloc-error-message'), refused.body.error.message);
  const shownDetails = await page.textContent('#alloc-rec-error');
  for (const d of refused.body.error.details) assert.ok(shownDetails.includes(d.reason), `reason ${d.reason} not shown`);
  assert.match(shownDetails, /Luhn/);

  // A valid one: recorded.
  const good = luhnICCID('898401234567890123');
  await page.fill('#alloc-rec-iccid', good);
  await page.click('#alloc-record button[type=submit]');
  await page.waitForFunction((s) => document.querySelector(`#alloc-students tr[data-student="${s}"] .hs`)?.textContent.includes('89840'), student);
  const after = await api(page, `/api/v1/allocation/students/${student}`);
  assert.equal(after.body.allocation.handover.status, 'handed_over');
  assert.equal(after.body.allocation.handover.sim_iccid, good);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  await screenshot(page, 'allocation-school');

  // At tablet width the page still fits.
  await page.setViewportSize({width: 820, height: 1180});
  // (Chart.js follows the new width on its next resize observation.)
  await page.waitForFunction(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth, null, {timeout: 5000}).catch(() => {});
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 5).map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
  assert.ok(overflow <= 0, `page wider than the tablet by ${overflow}px: ${wide.join(', ')}`);

  assert.deepEqual(page.offsite, [], 'requests to another host');
  assert.deepEqual(page.errors, [], 'page errors');
});

test('a viewer sees counts only: no student id in any response', async () => {
  const page = await newPage(browser, {lang: 'en'});
  await login(page, 'viewer');
  await openAllocation(page);
  await page.waitForSelector('#alloc-schools tbody tr', {timeout: 60000}).catch(async (e) => {
    throw new Error(`${e.message}\n${await page.textContent('body')}\n${page.errors}`);
  });
  assert.equal(await page.$('#alloc-preview'), null);
  assert.equal(await page.$('#alloc-inv'), null);
  assert.equal(await page.$('.alloc-open-school'), null);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  let checked = 0;
  for (const r of page.responses) {
    const ct = r.headers()['content-type'] || '';
    if (!ct.includes('json')) continue;
    const body = await r.text().catch(() => '');
    assert.doesNotMatch(body, /H[HS]\d{8}/, `${r.url()} holds a household or student id`);
    assert.doesNotMatch(body, /"student_id"/, `${r.url()} holds a student`);
    checked++;
  }
  assert.ok(checked >= 4, `only ${checked} JSON responses`);
  assert.equal(await page.locator('#toast .msg.error').count(), 0, await page.textContent('#toast'));
  await screenshot(page, 'allocation-viewer');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.errors, []);
});

test('a planner reads and previews but neither uploads nor commits', async () => {
  const page = await newPage(browser, {lang: 'en'});
  await login(page, 'planner');
  await openAllocation(page);
  await page.waitForSelector('#alloc-areas tbody tr');
  assert.ok(await page.$('#alloc-preview'), 'a planner may preview');
  assert.equal(await page.$('#alloc-inv'), null, 'a planner does not upload inventory');
  assert.equal(await page.$('#alloc-commit'), null, 'a planner does not commit');
  assert.ok(await page.$('.alloc-open-school'), 'a planner reads a school');
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.errors, []);
});

test('an operator gets the forbidden page', async () => {
  const page = await newPage(browser);
  await login(page, 'viettel');
  assert.doesNotMatch(await page.textContent('header nav'), /Phân bổ/);
  await page.goto(process.env.GAPMAP_URL + '/#/allocation');
  await page.waitForSelector('main p.error');
  assert.match(await page.textContent('main'), /Vai trò của bạn không dùng được trang này/);
  assert.equal(await page.$('#alloc-runs'), null);
  assert.deepEqual(page.offsite, []);
});
