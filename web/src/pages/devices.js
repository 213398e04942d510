// The device lifecycle on the Allocation page (education officers): the
// devices awaiting an inspection (returned, or registered with a required
// condition unknown) with a form to record one (the conditions checked,
// the result), a device's history from the ledger, and the sales
// (liquidations) with a form to record one and the XLSX of the list.
// Planners read the lists and histories; the forms are the officers'.
import {t, fmt, addStrings} from '../i18n.js';
import {get, post, APIError} from '../api.js';
import {esc} from '../html.js';

addStrings({
  'dev.title': ['Vòng đời thiết bị', 'Device lifecycle'],
  'dev.waiting': ['Thiết bị chờ kiểm tra', 'Devices awaiting inspection'],
  'dev.waiting.help': ['Thiết bị đã thu hồi chưa kiểm tra, và thiết bị nhập kho mà tệp chưa ghi rõ tình trạng (sạc, màn hình…): chưa kiểm tra thì không được phân bổ.', 'Returned devices not inspected yet, and devices whose file left a condition (charger, screen…) unknown: never allocated until inspected.'],
  'dev.none': ['Không có thiết bị nào chờ kiểm tra.', 'No device awaits an inspection.'],
  'dev.device': ['Thiết bị', 'Device'],
  'dev.type': ['Loại', 'Type'],
  'dev.area': ['Địa bàn', 'Area'],
  'dev.why': ['Lý do chờ', 'Why'],
  'dev.why.returned': ['Đã thu hồi', 'Returned'],
  'dev.why.intake': ['Tình trạng chưa rõ', 'Conditions unknown'],
  'dev.inspect': ['Kiểm tra', 'Inspect'],
  'dev.history': ['Lịch sử', 'History'],
  'dev.form': ['Ghi nhận kết quả kiểm tra', 'Record an inspection'],
  'dev.result': ['Kết quả', 'Result'],
  'dev.result.auto': ['Theo tình trạng đã kiểm tra', 'From the conditions checked'],
  'dev.result.ok': ['Đạt: đưa vào kho', 'OK: back to stock'],
  'dev.result.repair': ['Cần sửa', 'Repair'],
  'dev.result.liquidate': ['Thanh lý', 'Liquidate'],
  'dev.cond.has_charger': ['Có sạc', 'Charger'],
  'dev.cond.av_ok': ['Loa, micro, camera', 'Speaker, mic, camera'],
  'dev.cond.screen_ok': ['Màn hình', 'Screen'],
  'dev.cond.keyboard_ok': ['Bàn phím', 'Keyboard'],
  'dev.cond.has_monitor': ['Màn hình, chuột, tai nghe (máy bàn)', 'Monitor, mouse, headset (desktop)'],
  'dev.cond.wifi': ['Bộ thu Wi-Fi (máy bàn)', 'Wi-Fi adapter (desktop)'],
  'dev.cond.headphones': ['Kèm tai nghe', 'Headphones'],
  'dev.cond.battery_ok': ['Pin tốt', 'Good battery'],
  'dev.unchecked': ['— chưa kiểm tra', '— not checked'],
  'dev.yes': ['Có / tốt', 'Yes / works'],
  'dev.no': ['Không / hỏng', 'No / broken'],
  'dev.date': ['Ngày', 'Date'],
  'dev.note': ['Ghi chú', 'Note'],
  'dev.save': ['Ghi nhận', 'Record'],
  'dev.inspected': ['Đã ghi nhận kiểm tra thiết bị {device}: {result}.', 'Inspection of device {device} recorded: {result}.'],
  'dev.history.title': ['Lịch sử thiết bị', 'Device history'],
  'dev.history.show': ['Xem lịch sử', 'Show history'],
  'dev.state': ['Trạng thái', 'State'],
  'dev.at': ['Thời gian', 'When'],
  'dev.action': ['Việc', 'Action'],
  'dev.actor': ['Người ghi', 'By'],
  'dev.student': ['Học sinh', 'Student'],
  'dev.reason': ['Chi tiết', 'Details'],
  'dev.st.in_stock': ['Trong kho', 'In stock'],
  'dev.st.allocated': ['Đã phân bổ', 'Allocated'],
  'dev.st.awaiting_inspection': ['Chờ kiểm tra', 'Awaiting inspection'],
  'dev.st.repair': ['Đang sửa', 'In repair'],
  'dev.st.to_liquidate': ['Chờ thanh lý', 'To be sold'],
  'dev.st.liquidated': ['Đã thanh lý', 'Sold'],
  'dev.act.allocate_device': ['Phân bổ', 'Allocated'],
  'dev.act.cancel_device': ['Huỷ phân bổ', 'Cancelled'],
  'dev.act.handover': ['Bàn giao', 'Handed over'],
  'dev.act.return': ['Thu hồi', 'Returned'],
  'dev.act.inspect': ['Kiểm tra', 'Inspected'],
  'dev.act.restock': ['Nhập lại kho', 'Back in stock'],
  'dev.act.liquidate': ['Thanh lý', 'Sold'],
  'dev.act.replace': ['Mua thay thế', 'Bought as a replacement'],
  'dev.sales': ['Thanh lý thiết bị', 'Liquidations (sales)'],
  'dev.sales.none': ['Chưa có đợt thanh lý nào.', 'No sale yet.'],
  'dev.sales.xlsx': ['Tải danh sách (XLSX)', 'Download the list (XLSX)'],
  'dev.sale': ['Đợt', 'Sale'],
  'dev.sold_on': ['Ngày bán', 'Sold on'],
  'dev.buyer': ['Người mua', 'Buyer'],
  'dev.amount': ['Số tiền (đồng)', 'Amount (VND)'],
  'dev.sold': ['Thiết bị bán', 'Devices sold'],
  'dev.replacements': ['Mua thay thế', 'Replacements'],
  'dev.total': ['Tổng cộng', 'Total'],
  'dev.sale.form': ['Ghi nhận một đợt thanh lý', 'Record a sale'],
  'dev.sale.devices': ['Mã thiết bị bán (cách nhau bởi dấu phẩy)', 'Device ids sold (comma separated)'],
  'dev.sale.saved': ['Đã ghi nhận đợt thanh lý {id}.', 'Sale {id} recorded.'],
});

const today = () => new Date().toISOString().slice(0, 10);
const CONDITIONS = ['has_charger', 'av_ok', 'screen_ok', 'keyboard_ok', 'has_monitor', 'wifi', 'headphones', 'battery_ok'];

// renderDevices fills box with the lifecycle cards. canRecord: the forms
// (officers, admins).
export async function renderDevices(box, {canRecord, toast, alive}) {
  box.innerHTML = `<section class="card" id="dev-card"><h2>${t('dev.waiting')}</h2><p class="muted">${t('dev.waiting.help')}</p>
      <div id="dev-waiting"><p class="muted">${t('common.loading')}</p></div>
      ${canRecord ? `<form id="dev-inspect" class="alloc-form noprint"><h3>${t('dev.form')}</h3>
        <label for="dev-in-device">${t('dev.device')}</label><select id="dev-in-device"></select>
        <label for="dev-in-result">${t('dev.result')}</label><select id="dev-in-result">
          ${['', 'ok', 'repair', 'liquidate'].map(r => `<option value="${r}">${t(r ? 'dev.result.' + r : 'dev.result.auto')}</option>`).join('')}</select>
        ${CONDITIONS.map(c => `<label for="dev-c-${c}">${t('dev.cond.' + c)}</label><select id="dev-c-${c}" data-cond="${c}">
          <option value="">${t('dev.unchecked')}</option><option value="yes">${t('dev.yes')}</option><option value="no">${t('dev.no')}</option></select>`).join('')}
        <label for="dev-in-date">${t('dev.date')}</label><input id="dev-in-date" type="date" value="${today()}">
        <label for="dev-in-note">${t('dev.note')}</label><input id="dev-in-note">
        <button class="primary" type="submit">${t('dev.save')}</button>
        <div id="dev-in-error" class="error" role="alert"></div></form>` : ''}
    </section>
    <section class="card" id="dev-history-card"><h2>${t('dev.history.title')}</h2>
      <form id="dev-history-form" class="alloc-form noprint"><label for="dev-h-device">${t('dev.device')}</label><input id="dev-h-device" autocomplete="off">
        <button type="submit">${t('dev.history.show')}</button></form>
      <div id="dev-history"></div></section>
    <section class="card" id="dev-sales-card"><div class="alloc-bar"><h2>${t('dev.sales')}</h2>
        <a class="button" id="dev-sales-xlsx" href="/api/v1/allocation/liquidations?format=xlsx" download>${t('dev.sales.xlsx')}</a></div>
      <div id="dev-sales"><p class="muted">${t('common.loading')}</p></div>
      ${canRecord ? `<form id="dev-sale" class="alloc-form noprint"><h3>${t('dev.sale.form')}</h3>
        <label for="dev-s-devices">${t('dev.sale.devices')}</label><input id="dev-s-devices" autocomplete="off">
        <label for="dev-s-amount">${t('dev.amount')}</label><input id="dev-s-amount" type="number" min="0" step="1" value="0">
        <label for="dev-s-date">${t('dev.date')}</label><input id="dev-s-date" type="date" value="${today()}">
        <label for="dev-s-buyer">${t('dev.buyer')}</label><input id="dev-s-buyer">
        <label for="dev-s-note">${t('dev.note')}</label><input id="dev-s-note">
        <button class="primary" type="submit">${t('dev.save')}</button>
        <div id="dev-s-error" class="error" role="alert"></div></form>` : ''}
    </section>`;
  window.gapmap.devices = {waiting: null, history: null, sales: null};

  async function loadWaiting() {
    const {devices} = await get('/api/v1/allocation/devices?status=awaiting_inspection');
    if (!alive()) return;
    window.gapmap.devices.waiting = devices;
    const list = box.querySelector('#dev-waiting');
    list.innerHTML = devices.length ? `<div class="alloc-scroll"><table id="dev-waiting-table"><thead><tr><th>${t('dev.device')}</th><th>${t('dev.type')}</th><th>${t('dev.area')}</th><th>${t('dev.why')}</th><th></th></tr></thead><tbody>` +
      devices.map(d => `<tr data-device="${esc(d.device_id)}"><td>${esc(d.device_id)}</td><td>${esc(d.type)}</td><td>${esc(d.area_code)}</td>` +
        `<td>${d.state === 'awaiting_inspection' ? t('dev.why.returned') : `${t('dev.why.intake')}: ${esc(d.reasons.map(r => r.startsWith('unknown_') && CONDITIONS.includes(r.slice(8)) ? t('dev.cond.' + r.slice(8)) : r).join(', '))}`}</td>` +
        `<td>${canRecord ? `<button class="dev-pick" data-device="${esc(d.device_id)}">${t('dev.inspect')}</button> ` : ''}<button class="dev-show" data-device="${esc(d.device_id)}">${t('dev.history')}</button></td></tr>`).join('') +
      `</tbody></table></div>` : `<p class="muted" id="dev-none">${t('dev.none')}</p>`;
    const sel = box.querySelector('#dev-in-device');
    if (sel) {
      box.querySelector('#dev-inspect').hidden = !devices.length;
      const keep = sel.value;
      sel.innerHTML = devices.map(d => `<option value="${esc(d.device_id)}">${esc(d.device_id)} (${esc(d.type)})</option>`).join('');
      if (devices.some(d => d.device_id === keep)) sel.value = keep;
    }
    for (const b of list.querySelectorAll('.dev-pick')) b.onclick = () => { sel.value = b.dataset.device; box.querySelector('#dev-inspect').scrollIntoView({block: 'center'}); };
    for (const b of list.querySelectorAll('.dev-show')) b.onclick = () => showHistory(b.dataset.device);
  }

  async function showHistory(id) {
    const out = box.querySelector('#dev-history');
    box.querySelector('#dev-h-device').value = id;
    try {
      const h = await get(`/api/v1/allocation/devices/${encodeURIComponent(id)}/history`);
      if (!alive()) return;
      window.gapmap.devices.history = h;
      out.innerHTML = `<p>${t('dev.device')} <b id="dev-h-id">${esc(h.device_id)}</b> · ${t('dev.state')}: <b id="dev-h-state" data-state="${esc(h.state)}" data-status="${esc(h.status)}">${esc(t('dev.st.' + h.status))}</b>${h.reasons.length ? ` (${esc(h.reasons.join(', '))})` : ''}</p>` +
        `<div class="alloc-scroll"><table id="dev-history-table"><thead><tr><th>${t('dev.at')}</th><th>${t('dev.action')}</th><th>${t('dev.actor')}</th><th>${t('dev.student')}</th><th>${t('dev.reason')}</th></tr></thead><tbody>` +
        h.entries.map(e => `<tr data-action="${esc(e.action)}"><td>${esc(new Date(e.at).toLocaleString())}</td><td>${esc(t('dev.act.' + e.action))}</td><td>${esc(e.actor)}</td><td>${esc(e.student_id || '')}</td><td>${esc(e.reason)}</td></tr>`).join('') +
        `</tbody></table></div>`;
    } catch (err) {
      showError(out, err);
    }
  }

  async function loadSales() {
    const l = await get('/api/v1/allocation/liquidations');
    if (!alive()) return;
    window.gapmap.devices.sales = l;
    const out = box.querySelector('#dev-sales');
    out.innerHTML = l.liquidations.length ? `<div class="alloc-scroll"><table id="dev-sales-table"><thead><tr><th>${t('dev.sale')}</th><th>${t('dev.sold_on')}</th><th>${t('dev.buyer')}</th><th class="n">${t('dev.amount')}</th><th>${t('dev.sold')}</th><th>${t('dev.replacements')}</th><th>${t('dev.note')}</th></tr></thead><tbody>` +
      l.liquidations.map(s => `<tr data-sale="${s.id}"><td>${s.id}</td><td>${esc(s.sold_on)}</td><td>${esc(s.buyer)}</td><td class="n">${fmt(s.amount_vnd)}</td><td>${esc(s.devices.map(d => d.device_id).join(', '))}</td><td>${esc(s.replacements.join(', '))}</td><td>${esc(s.note)}</td></tr>`).join('') +
      `</tbody><tfoot><tr class="total"><td>${t('dev.total')}</td><td></td><td></td><td class="n" id="dev-sales-total">${fmt(l.total_amount_vnd)}</td><td id="dev-sales-sold">${fmt(l.devices_sold)}</td><td>${fmt(l.replacements)}</td><td></td></tr></tfoot></table></div>`
      : `<p class="muted" id="dev-sales-none">${t('dev.sales.none')}</p>`;
  }

  box.querySelector('#dev-history-form').onsubmit = (ev) => {
    ev.preventDefault();
    const id = box.querySelector('#dev-h-device').value.trim();
    if (id) showHistory(id);
  };

  const form = box.querySelector('#dev-inspect');
  if (form) {
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const errBox = form.querySelector('#dev-in-error');
      errBox.textContent = '';
      const id = form.querySelector('#dev-in-device').value;
      if (!id) return;
      const body = {date: form.querySelector('#dev-in-date').value};
      const result = form.querySelector('#dev-in-result').value;
      if (result) body.result = result;
      const note = form.querySelector('#dev-in-note').value.trim();
      if (note) body.note = note;
      for (const s of form.querySelectorAll('select[data-cond]')) if (s.value) body[s.dataset.cond] = s.value === 'yes';
      try {
        const r = await post(`/api/v1/allocation/devices/${encodeURIComponent(id)}/inspections`, body);
        toast(t('dev.inspected', {device: r.device_id, result: t('dev.result.' + r.result)}));
        for (const s of form.querySelectorAll('select[data-cond]')) s.value = '';
        form.querySelector('#dev-in-note').value = '';
        await loadWaiting();
        await showHistory(r.device_id);
      } catch (err) {
        showError(errBox, err);
      }
    };
  }

  const sale = box.querySelector('#dev-sale');
  if (sale) {
    sale.onsubmit = async (ev) => {
      ev.preventDefault();
      const errBox = sale.querySelector('#dev-s-error');
      errBox.textContent = '';
      const body = {
        devices: sale.querySelector('#dev-s-devices').value.split(',').map(s => s.trim()).filter(Boolean),
        amount_vnd: Number(sale.querySelector('#dev-s-amount').value || 0),
        date: sale.querySelector('#dev-s-date').value,
      };
      const buyer = sale.querySelector('#dev-s-buyer').value.trim();
      const note = sale.querySelector('#dev-s-note').value.trim();
      if (buyer) body.buyer = buyer;
      if (note) body.note = note;
      try {
        const r = await post('/api/v1/allocation/liquidations', body);
        toast(t('dev.sale.saved', {id: r.id}));
        sale.querySelector('#dev-s-devices').value = '';
        await loadSales();
        await loadWaiting();
      } catch (err) {
        showError(errBox, err);
      }
    };
  }

  await Promise.all([loadWaiting(), loadSales()]);
}

// showError puts the API's message and its details in box.
function showError(box, err) {
  const details = err instanceof APIError ? err.details || [] : [];
  box.innerHTML = `<p class="error" id="dev-error-message">${esc(err.message)}</p>` +
    (details.length ? `<ul class="dev-error-details">${details.map(d => `<li data-column="${esc(d.column)}">${esc(d.column)}${d.value ? ` (${esc(d.value)})` : ''}: ${esc(d.reason)}</li>`).join('')}</ul>` : '');
}
