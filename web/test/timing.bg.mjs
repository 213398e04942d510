// The map's timing on a province of real size (run by TestBrowserBacGiang,
// not by the default browser suite): the time until the map is idle after
// the page opens and after a zoom, and the hexagons still carry the API's
// counts.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {launch, newPage, login, screenshot, waitIdle, zoomIdle} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('Bắc Giang: the map goes idle after load and after zooms', async () => {
  const times = {load: [], zoomIn: [], zoomOut: []};
  for (let i = 0; i < 3; i++) {
    const page = await newPage(browser);
    await login(page, 'planner');
    await page.waitForFunction(() => window.gapmap.map);
    times.load.push(await waitIdle(page));
    times.zoomIn.push(await zoomIdle(page, 2));
    times.zoomOut.push(await zoomIdle(page, -3));
    const n = await page.evaluate(() => window.gapmap.map.queryRenderedFeatures({layers: ['cells']}).length);
    assert.ok(n > 0, 'no hexagon rendered');
    if (i === 0) await screenshot(page, 'map-bac-giang');
    assert.deepEqual(page.offsite, []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[1];
  console.log(`Bắc Giang map timing (median of 3): idle ${med(times.load).toFixed(0)} ms after the page was opened (login included), ` +
    `${med(times.zoomIn).toFixed(0)} ms after zooming in 2 levels, ${med(times.zoomOut).toFixed(0)} ms after zooming out 3; ` +
    `all: load ${times.load.map(x => x.toFixed(0))}, in ${times.zoomIn.map(x => x.toFixed(0))}, out ${times.zoomOut.map(x => x.toFixed(0))}`);
});
