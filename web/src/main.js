// gapmap's web app: a hash router, navigation by role, login, and the
// pages (src/pages/*). Every string comes from i18n.js (Vietnamese first).
import {t, setLang, getLang, missing} from './i18n.js';
import {get, post, setCSRF, APIError} from './api.js';
import {pages} from './pages/index.js';

const state = {user: null, page: null};
window.gapmap = {state, missing}; // read by the browser tests

export function toast(msg, isError = false) {
  const box = document.getElementById('toast');
  const el = document.createElement('div');
  el.className = 'msg' + (isError ? ' error' : '');
  el.textContent = msg;
  box.append(el);
  setTimeout(() => el.remove(), isError ? 8000 : 4000);
}

// showError shows the API's message (never just a code).
export function showError(err) {
  const msg = err instanceof APIError ? err.message : (err?.message || t('common.error'));
  toast(msg, true);
}

function allowed(page, user) {
  return !page.roles || (user && (user.role === 'admin' || page.roles.includes(user.role)));
}

function header() {
  const top = document.getElementById('top');
  top.replaceChildren();
  const brand = document.createElement('span');
  brand.className = 'brand';
  brand.textContent = 'gapmap';
  brand.title = t('app.title');
  const nav = document.createElement('nav');
  nav.setAttribute('aria-label', 'gapmap');
  if (state.user) {
    for (const p of pages) {
      if (!p.nav || !allowed(p, state.user)) continue;
      const a = document.createElement('a');
      a.href = p.path;
      a.dataset.t = p.nav;
      a.textContent = t(p.nav);
      if (location.hash.startsWith(p.path)) a.setAttribute('aria-current', 'page');
      nav.append(a);
    }
  }
  const who = document.createElement('span');
  who.className = 'who';
  if (state.user) {
    const bound = state.user.operator || state.user.area_code || '';
    who.textContent = `${state.user.name} · ${t('role.' + state.user.role)}${bound ? ' · ' + bound : ''}`;
  }
  const lang = document.createElement('button');
  lang.id = 'lang';
  lang.textContent = t('lang.switch');
  lang.onclick = () => { setLang(getLang() === 'vi' ? 'en' : 'vi'); route(); };
  top.append(brand, nav, who, lang);
  if (state.user) {
    const out = document.createElement('button');
    out.id = 'logout';
    out.textContent = t('nav.logout');
    out.onclick = async () => {
      try { await post('/api/v1/logout'); } catch { /* the session may be gone */ }
      state.user = null; setCSRF('');
      location.hash = '#/login';
    };
    top.append(out);
  }
}

function loginPage(main) {
  main.className = '';
  main.innerHTML = `<form class="card login" id="login-form">
    <h1 data-t="login.title"></h1>
    <label for="login-name" data-t="login.name"></label><input id="login-name" autocomplete="username" required>
    <label for="login-password" data-t="login.password"></label><input id="login-password" type="password" autocomplete="current-password" required>
    <p><button class="primary" type="submit" data-t="login.submit"></button></p>
    <p class="error" id="login-error" role="alert"></p></form>`;
  translate(main);
  main.querySelector('form').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const r = await post('/api/v1/login', {name: main.querySelector('#login-name').value, password: main.querySelector('#login-password').value});
      state.user = r.user; setCSRF(r.csrf_token);
      const first = pages.find(p => p.nav && allowed(p, state.user));
      location.hash = first ? first.path : '#/';
    } catch (err) {
      main.querySelector('#login-error').textContent = err.message;
    }
  };
}

// translate fills every [data-t] element below root.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll('[data-t-placeholder]')) el.placeholder = t(el.dataset.tPlaceholder);
  for (const el of root.querySelectorAll('[data-t-title]')) el.title = t(el.dataset.tTitle);
}

async function whoami() {
  try {
    const me = await get('/api/v1/me');
    state.user = me.user; setCSRF(me.csrf_token);
  } catch { state.user = null; }
}

async function route() {
  document.documentElement.lang = getLang();
  const main = document.getElementById('main');
  state.page?.leave?.();
  state.page = null;
  if (!state.user && location.hash !== '#/login') await whoami();
  header();
  if (!state.user) { loginPage(main); return; }
  if (location.hash === '' || location.hash === '#/' || location.hash === '#/login') {
    const first = pages.find(p => p.nav && allowed(p, state.user));
    if (first) { location.replace(first.path); return; }
  }
  const page = pages.find(p => location.hash.startsWith(p.path));
  main.className = page?.full ? 'full' : '';
  if (!page) { main.innerHTML = `<p class="card" data-t="common.notfound"></p>`; translate(main); return; }
  if (!allowed(page, state.user)) { main.innerHTML = `<p class="card error" data-t="common.forbidden"></p>`; translate(main); return; }
  main.replaceChildren();
  state.page = page;
  try {
    await page.render(main, {user: state.user, toast, showError, translate});
  } catch (err) { showError(err); }
  main.focus({preventScroll: true});
}

window.addEventListener('hashchange', route);
route();
