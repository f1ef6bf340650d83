/**
 * The web page's on-device mode in real Chromium (Debian's, driven by playwright-core): the
 * page loads onnxruntime-web and the served model (GET /v1/model.onnx, exported from the
 * checkpoint by the libtorch server) once, then classifies every fixture photo with the
 * server's classify and verify routes blocked — offline — and its top-1 equals the server's
 * on each. Saves build/test-artifacts/serve-web-on-device.png. Skips, saying why, only where
 * Chromium is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, chromiumSkip as skip, launchChromium, post, startServer, tinyFixture, type Fixture, type RunningServer } from './serve-support.js';

let fx: Fixture;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  fx = await tinyFixture();
  server = await startServer(['--checkpoint', fx.checkpoint, '--precision', 'float32', '--threads', '1']);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
});

test(
  'on this device: the model is fetched once, and offline classification gives the server top-1 on every fixture photo',
  { skip, timeout: 300_000 },
  async (t) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const photos = fx.classes.flatMap((c) => fx.photos[c]!);
    const serverTop: string[] = [];
    const serverScore: number[] = [];
    for (const p of photos) {
      const top = (await (await post(`${server.url}/v1/classify`, readFileSync(p), { 'content-type': 'image/png' })).json()).predictions[0];
      serverTop.push(top.label);
      serverScore.push(top.score);
    }

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const modelFetches: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/model.onnx') modelFetches.push(r.url());
    });
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction("document.getElementById('claimed').options.length > 0", null, { timeout: 20_000 });
    assert.equal(await page.evaluate('self.crossOriginIsolated'), true, 'COOP/COEP make the page cross-origin isolated (WebAssembly threads)');
    await page.check('#on-device');
    await page.waitForFunction("document.getElementById('device-line').textContent.includes('ready')", null, { timeout: 120_000 });

    // Offline from here on: the server's classification routes are cut.
    const blocked: string[] = [];
    await page.route(/\/v1\/(classify|verify)/, (route) => {
      blocked.push(route.request().url());
      return route.abort();
    });
    const got: string[] = [];
    let worst = 0;
    for (const [i, p] of photos.entries()) {
      await page.setInputFiles('#file', p);
      await page.waitForFunction(`document.getElementById('result').dataset.runs === '${i + 1}'`, null, { timeout: 30_000 });
      assert.equal(await page.getAttribute('#top-label', 'data-source'), 'device');
      got.push((await page.textContent('#top-label')) ?? '');
      const shown = Number.parseFloat((await page.textContent('#bars li .score')) ?? 'NaN') / 100;
      worst = Math.max(worst, Math.abs(shown - serverScore[i]!));
    }
    // The browser decodes and shrinks the photo itself (not libvips), so scores differ a little.
    t.diagnostic(`largest top-1 score difference, page vs server: ${(100 * worst).toFixed(1)} points (page shows 0.1-point steps)`);
    assert.ok(worst < 0.05, `top-1 scores within 5 points of the server's (${worst})`);
    assert.deepEqual(got, serverTop, 'on-device top-1 equals the server top-1 on every fixture photo');
    assert.deepEqual(blocked, [], 'no classification went to the server');
    assert.equal(modelFetches.length, 1, `the model is fetched once (${modelFetches.length})`);
    const bars = await page.$$eval('#bars li', (li) => li.length);
    assert.equal(bars, fx.classes.length);
    assert.match((await page.textContent('#timing')) ?? '', /on this device/);
    assert.match((await page.textContent('#device-line')) ?? '', /WebAssembly, \d+ thread/);
    await page.screenshot({ path: join(ARTIFACTS, 'serve-web-on-device.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors');
  },
);
