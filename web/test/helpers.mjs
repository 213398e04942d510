// Shared helpers of the browser tests: launch Debian's Chromium headless,
// log in through the page, watch every request (none may leave the
// machine), and save screenshots.
import {chromium} from 'playwright-core';
import assert from 'node:assert/strict';
import {mkdir} from 'node:fs/promises';

export const base = process.env.GAPMAP_URL;
export const users = Object.fromEntries(JSON.parse(process.env.GAPMAP_USERS || '[]').map(u => [u.name, u]));
const shots = process.env.GAPMAP_SCREENSHOTS;

export async function launch() {
  assert.ok(base, 'GAPMAP_URL is not set: run the browser tests through go test ./web (make test)');
  return chromium.launch({
    executablePath: process.env.GAPMAP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-dev-shm-usage'],
  });
}

// newPage opens a page that records every request; offsite lists those to
// another host (there must be none).
export async function newPage(browser, {lang = 'vi', width = 1366, height = 800} = {}) {
  const context = await browser.newContext({viewport: {width, height}, locale: lang === 'en' ? 'en-GB' : 'vi-VN'});
  const page = await context.newPage();
  const host = new URL(base).host;
  page.offsite = [];
  page.responses = [];
  page.on('request', r => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.host !== host) page.offsite.push(r.url());
  });
  page.on('response', r => page.responses.push(r));
  page.errors = [];
  page.on('pageerror', e => page.errors.push(String(e)));
  if (lang === 'en') await page.addInitScript(() => localStorage.setItem('gapmap.lang', 'en'));
  return page;
}

export async function login(page, name) {
  const u = users[name];
  assert.ok(u, `no test user ${name}`);
  await page.goto(base + '/#/login');
  await page.fill('#login-name', u.name);
  await page.fill('#login-password', u.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => window.gapmap?.state?.user);
}

export async function screenshot(page, name) {
  if (!shots) return;
  await mkdir(shots, {recursive: true});
  await page.screenshot({path: `${shots}/${name}.png`});
}

// api calls the API from the page, with its session.
export async function api(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, {credentials: 'same-origin'});
    return {status: r.status, body: await r.json()};
  }, path);
}

// waitIdle resolves when the map has loaded its tiles and stopped moving;
// it returns the time since the page's navigation began (ms).
export async function waitIdle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const m = window.gapmap.map;
    const done = () => resolve(performance.now());
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) { done(); return; }
    m.once('idle', done);
  }));
}

// zoomIdle zooms the map by dz and returns the milliseconds until it is
// idle again.
export async function zoomIdle(page, dz) {
  return page.evaluate((dz) => new Promise((resolve) => {
    const m = window.gapmap.map;
    const t0 = performance.now();
    m.once('idle', () => resolve(performance.now() - t0));
    m.zoomTo(m.getZoom() + dz, {animate: false});
  }), dz);
}
