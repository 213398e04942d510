// Every string of the UI, Vietnamese first, English second. Pages add
// their strings with addStrings({key: [vi, en]}).
const strings = {
  'app.title': ['Sóng và máy tính cho em', 'Waves and computers for kids'],
  'nav.map': ['Bản đồ lõm sóng', 'Gap map'],
  'nav.gaps': ['Lõm sóng & kế hoạch', 'Gaps & plan'],
  'nav.operator': ['Nhà mạng', 'Operator'],
  'nav.allocation': ['Phân bổ thiết bị', 'Allocation'],
  'nav.reports': ['Báo cáo', 'Reports'],
  'nav.logout': ['Đăng xuất', 'Log out'],
  'lang.switch': ['English', 'Tiếng Việt'],
  'login.title': ['Đăng nhập', 'Log in'],
  'login.name': ['Tên đăng nhập', 'User name'],
  'login.password': ['Mật khẩu', 'Password'],
  'login.submit': ['Đăng nhập', 'Log in'],
  'role.admin': ['Quản trị', 'Administrator'],
  'role.planner': ['Sở TTTT', 'Planner'],
  'role.operator': ['Nhà mạng', 'Operator'],
  'role.officer': ['Cán bộ giáo dục', 'Education officer'],
  'role.viewer': ['Người xem', 'Viewer'],
  'common.loading': ['Đang tải…', 'Loading…'],
  'common.error': ['Có lỗi', 'Something went wrong'],
  'common.forbidden': ['Vai trò của bạn không dùng được trang này.', 'Your role cannot use this page.'],
  'common.notfound': ['Không có trang này.', 'There is no such page.'],
};

let lang = localStorage.getItem('gapmap.lang') === 'en' ? 'en' : 'vi';

export function addStrings(more) { Object.assign(strings, more); }
export function getLang() { return lang; }
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'vi';
  localStorage.setItem('gapmap.lang', lang);
  document.documentElement.lang = lang;
}
// t returns the string of key in the current language, with {name}
// placeholders filled from vars.
export function t(key, vars = {}) {
  const s = strings[key];
  let out = s ? s[lang === 'en' ? 1 : 0] : key;
  for (const [k, v] of Object.entries(vars)) out = out.replaceAll(`{${k}}`, String(v));
  return out;
}
// missing lists the keys used in the DOM (data-t) that have no string: the
// browser tests assert it is empty.
export function missing(root = document) {
  return [...root.querySelectorAll('[data-t]')].map(e => e.dataset.t).filter(k => !strings[k]);
}
export function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString(lang === 'en' ? 'en-GB' : 'vi-VN', {maximumFractionDigits: digits});
}
// fmtDay writes a day (YYYY-MM-DD, or a timestamp whose first ten
// characters are one) as the language does: 01/07/2025 (vi) or 1 Jul 2025
// (en); '—' when absent.
export function fmtDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(s ?? ''));
  if (!m) return '—';
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toLocaleDateString(lang === 'en' ? 'en-GB' : 'vi-VN', lang === 'en' ? {day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'} : {day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC'});
}
// fold removes Vietnamese diacritics for search ("Bac Giang" finds "Bắc Giang").
export function fold(s) {
  return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}
