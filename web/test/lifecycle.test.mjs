// The device lifecycle on the Allocation page, in a real browser: an
// officer uploads three devices (DZ00001 and DZ00003 tablets with the
// charger not stated, DZ00002 a phone with 1 GB RAM, below the minimum
// beyond repair), sees the two tablets awaiting inspection, records that
// DZ00001 has its charger (ok: in stock, its history shows the
// inspection), an inspection of DZ00003 that leaves the charger unknown
// (refused with the API's message), then without a charger (repair), and
// sells DZ00002 (the sales list and its total are the API's; the XLSX
// downloads). A planner reads the lists without the forms.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, api} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openAllocation(page) {
  await page.waitForFunction(() => window.gapmap.map);
  await page.goto(process.env.GAPMAP_URL + '/#/allocation');
}

test('an officer inspects devices awaiting inspection, reads a history and records a sale', async () => {
  const page = await newPage(browser);
  await login(page, 'officer');
  await openAllocation(page);
  await page.waitForSelector('#dev-waiting p, #dev-waiting table');
  const csv = 'device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n' +
    'DZ00001,Quỹ thử nghiệm,tablet,android,12,2,4,32,20,,true,true,true,true,true,SN-DZ1,,\n' +
    'DZ00002,Quỹ thử nghiệm,phone,android,10,2,1,32,20,true,true,true,true,true,true,SN-DZ2,,\n' +
    'DZ00003,Quỹ thử nghiệm,tablet,android,12,2,4,32,20,,true,true,true,true,true,SN-DZ3,,\n';
  const up = await page.evaluate(async (body) => {
    const me = await (await fetch('/api/v1/me')).json();
    const fd = new FormData();
    fd.append('devices', new Blob([body], {type: 'text/csv'}), 'kiem_tra.csv');
    const r = await fetch('/api/v1/allocation/inventory', {method: 'POST', headers: {'X-CSRF-Token': me.csrf_token}, body: fd});
    return {status: r.status, text: await r.text()};
  }, csv);
  assert.ok(up.status < 300, `inventory upload: ${up.status} ${up.text}`);
  await page.reload();
  await page.waitForSelector('#dev-waiting-table tr[data-device="DZ00003"]');
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  const listed = await api(page, '/api/v1/allocation/devices?status=awaiting_inspection');
  const rows = await page.$$eval('#dev-waiting-table tbody tr', trs => trs.map(tr => tr.dataset.device));
  assert.deepEqual(rows, listed.body.devices.map(d => d.device_id));
  assert.ok(rows.includes('DZ00001') && !rows.includes('DZ00002'), `awaiting: ${rows}`);
  assert.match(await page.textContent('#dev-waiting-table tr[data-device="DZ00001"]'), /Tình trạng chưa rõ: Có sạc/);

  // DZ00001: the charger is there. The result follows the check: ok.
  await page.click('#dev-waiting-table tr[data-device="DZ00001"] .dev-pick');
  assert.equal(await page.inputValue('#dev-in-device'), 'DZ00001');
  await page.selectOption('#dev-c-has_charger', 'yes');
  await page.fill('#dev-in-date', '2026-11-02');
  await page.click('#dev-inspect button[type=submit]');
  await page.waitForSelector('#dev-h-id');
  await page.waitForFunction(() => document.querySelector('#dev-h-id')?.textContent === 'DZ00001');
  assert.equal(await page.getAttribute('#dev-h-state', 'data-state'), 'in_stock');
  assert.equal(await page.$('#dev-waiting-table tr[data-device="DZ00001"]'), null);
  const h = await api(page, '/api/v1/allocation/devices/DZ00001/history');
  assert.equal(h.body.entries.length, 1);
  assert.equal(h.body.entries[0].reason, 'intake inspection on 2026-11-02: ok. conditions has_charger=yes');
  assert.match(await page.textContent('#dev-history-table tr[data-action="inspect"]'), /Kiểm tra.*has_charger=yes/);
  const stock = await api(page, '/api/v1/allocation/devices?status=in_stock');
  const dz1 = stock.body.devices.find(d => d.device_id === 'DZ00001');
  assert.ok(dz1 && dz1.check === 'ok', `DZ00001 in stock: ${JSON.stringify(dz1)}`);

  // DZ00003: the screen only leaves the charger unknown: refused.
  await page.selectOption('#dev-in-device', 'DZ00003');
  await page.selectOption('#dev-c-screen_ok', 'yes');
  await page.fill('#dev-in-date', '2026-11-02');
  await page.click('#dev-inspect button[type=submit]');
  await page.waitForSelector('#dev-in-error li[data-column="conditions"]');
  assert.match(await page.textContent('#dev-in-error'), /unknown_has_charger/);
  // Without a charger: repair, out of the list, never allocated.
  await page.selectOption('#dev-c-has_charger', 'no');
  await page.fill('#dev-in-note', 'mất sạc');
  await page.click('#dev-inspect button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#dev-h-id')?.textContent === 'DZ00003');
  assert.equal(await page.getAttribute('#dev-h-state', 'data-status'), 'repair');
  assert.match(await page.textContent('#dev-h-state'), /Đang sửa/);
  assert.equal(await page.$('#dev-waiting-table tr[data-device="DZ00003"]'), null);
  const repair = await api(page, '/api/v1/allocation/devices?status=repair');
  assert.ok(repair.body.devices.some(d => d.device_id === 'DZ00003' && d.reasons.includes('no_charger')), JSON.stringify(repair.body.devices));

  // A sale of DZ00002 (below the minimum beyond repair).
  await page.fill('#dev-s-devices', 'DZ00002');
  await page.fill('#dev-s-amount', '750000');
  await page.fill('#dev-s-date', '2026-11-20');
  await page.fill('#dev-s-buyer', 'Cửa hàng Minh');
  await page.click('#dev-sale button[type=submit]');
  await page.waitForSelector('#dev-sales-table tbody tr');
  const sales = await api(page, '/api/v1/allocation/liquidations');
  const sale = sales.body.liquidations.find(l => l.devices.some(d => d.device_id === 'DZ00002'));
  assert.ok(sale, 'the sale is not in the API');
  assert.equal(sale.amount_vnd, 750000);
  assert.equal(sale.buyer, 'Cửa hàng Minh');
  const num = (s) => Number(String(s).replace(/\D/g, ''));
  assert.equal(num(await page.textContent('#dev-sales-total')), sales.body.total_amount_vnd);
  assert.match(await page.textContent(`#dev-sales-table tr[data-sale="${sale.id}"]`), /DZ00002/);
  const head = await page.evaluate(async (href) => {
    const r = await fetch(href);
    const b = new Uint8Array(await r.arrayBuffer());
    return {status: r.status, type: r.headers.get('content-type'), first: String.fromCharCode(b[0], b[1])};
  }, await page.getAttribute('#dev-sales-xlsx', 'href'));
  assert.equal(head.status, 200);
  assert.equal(head.first, 'PK');
  assert.match(head.type, /spreadsheetml/);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.equal(await page.locator('#toast .msg.error').count(), 0, await page.textContent('#toast'));
  await page.locator('#dev-card').scrollIntoViewIfNeeded();
  await screenshot(page, 'allocation-devices');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.errors, []);
});

test('a planner reads the lifecycle lists without the forms; a viewer does not see them', async () => {
  const page = await newPage(browser, {lang: 'en'});
  await login(page, 'planner');
  await openAllocation(page);
  await page.waitForSelector('#dev-sales-table, #dev-sales-none');
  assert.ok(await page.$('#dev-waiting'));
  assert.equal(await page.$('#dev-inspect'), null);
  assert.equal(await page.$('#dev-sale'), null);
  assert.match(await page.textContent('#dev-card h2'), /Devices awaiting inspection/);
  assert.deepEqual(await page.evaluate(() => window.gapmap.missing()), []);
  assert.deepEqual(page.errors, []);
  const viewer = await newPage(browser);
  await login(viewer, 'viewer');
  await openAllocation(viewer);
  await viewer.waitForSelector('#alloc-runs-table, #alloc-norun');
  assert.equal(await viewer.$('#alloc-lifecycle'), null);
  assert.deepEqual(viewer.errors, []);
});
