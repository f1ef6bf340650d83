/**
 * The web page at / in real Chromium (Debian's, driven by playwright-core): upload a fixture
 * photo, see the top-1 label and the heat map drawn, run a verification, and save screenshots
 * (desktop and phone widths) under build/test-artifacts/. Skips, saying why, only where
 * Chromium is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { classifier } from '../../src/pipeline/classifier.js';
import { ARTIFACTS, chromiumSkip as skip, launchChromium, startServer, tinyFixture, type Fixture, type RunningServer } from './serve-support.js';

let fx: Fixture;
let server: RunningServer;
let browser: Browser;
let photo: string;
let expected: string;

before(async () => {
  if (skip) return;
  fx = await tinyFixture();
  // A phone-sized photo of a class_2 test image (upscaled, so the page has something to show).
  photo = join(fx.dir, 'browser-photo.jpg');
  await sharp(fx.photos.class_2![0]!).resize(640, 480, { kernel: 'nearest', fit: 'fill' }).jpeg({ quality: 92 }).toFile(photo);
  const clf = await classifier(fx.checkpoint, { precision: 'float32' });
  expected = (await clf.classify(photo)).predictions[0]!.label;
  clf.dispose();
  server = await startServer(['--checkpoint', fx.checkpoint, '--precision', 'float32']);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
});

test('upload a photo, see the top-1 label and the heat map, verify a claim; screenshots saved', { skip, timeout: 240_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url, { waitUntil: 'load' });
  // Page-side code is given as strings: this project compiles without the DOM types.
  await page.waitForFunction("document.getElementById('claimed').options.length > 0", null, { timeout: 20_000 });
  assert.match((await page.textContent('#model-line')) ?? '', /regnetx_002/);
  // The fixture's checkpoint has no calibration: the page says so.
  assert.equal(await page.isVisible('#calibration-note'), true);
  assert.match((await page.textContent('#calibration-note')) ?? '', /not calibrated.*finegrain calibrate/);

  await page.setInputFiles('#file', photo);
  await page.waitForFunction(`document.getElementById('top-label').textContent === ${JSON.stringify(expected)}`, null, { timeout: 30_000 });
  await page.waitForFunction(
    "(() => { const img = document.getElementById('heatmap'); return !img.hidden && img.complete && img.naturalWidth > 0 && img.src.startsWith('data:image/png'); })()",
    null,
    { timeout: 30_000 },
  );
  const bars = await page.$$eval('#bars li', (li) => li.length);
  assert.equal(bars, fx.classes.length, 'top-k bars (3 classes)');
  // The heat map is drawn: its pixels are not the photo's (a blend with the colour map).
  const drawn = (await page.evaluate(`(() => {
    const el = document.getElementById('heatmap');
    const c = document.createElement('canvas');
    c.width = el.naturalWidth;
    c.height = el.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(el, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
    return { w: el.naturalWidth, mean: sum / (d.length / 4) };
  })()`)) as { w: number; mean: number };
  assert.ok(drawn.w > 0 && drawn.mean > 0, JSON.stringify(drawn));

  // Opacity slider and toggle act on the overlay.
  await page.fill('#opacity', '40');
  await page.dispatchEvent('#opacity', 'input');
  assert.equal(await page.evaluate("document.getElementById('heatmap').style.opacity"), '0.4');
  await page.fill('#opacity', '80');
  await page.dispatchEvent('#opacity', 'input');

  // Verify: search the class list, pick the expected class, submit.
  await page.fill('#class-search', expected.slice(-1));
  const options = await page.evaluate("[...document.querySelectorAll('#claimed option')].map((o) => o.value)");
  assert.deepEqual(options, [expected], 'the search filters the class list');
  await page.selectOption('#claimed', expected);
  await page.click('#verify-form button[type=submit]');
  await page.waitForSelector('#verdict:not([hidden])', { timeout: 30_000 });
  const decision = await page.textContent('#decision');
  assert.ok(['match', 'uncertain', 'mismatch'].includes(decision ?? ''), decision ?? '');
  assert.ok(((await page.textContent('#reason')) ?? '').length > 10);
  await page.screenshot({ path: join(ARTIFACTS, 'serve-web-desktop.png'), fullPage: true });

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  await phone.goto(server.url, { waitUntil: 'load' });
  await phone.setInputFiles('#file', photo);
  await phone.waitForFunction(`document.getElementById('top-label').textContent === ${JSON.stringify(expected)}`, null, { timeout: 30_000 });
  await phone.screenshot({ path: join(ARTIFACTS, 'serve-web-phone.png'), fullPage: true });
  const overflow = (await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
  assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow} px too wide)`);
  assert.deepEqual(errors, [], 'no script errors');
});
