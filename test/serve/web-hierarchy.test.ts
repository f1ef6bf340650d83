/**
 * The class hierarchy on the web page, in real Chromium: a checkpoint with a hierarchy
 * sidecar (tone → class, the class level never confident) shows the answer's path with the
 * level it is sure of in full colour and the uncertain one greyed; a screenshot is saved under
 * build/test-artifacts/. Skips, saying why, only where Chromium is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { hierarchyFromMapping } from '../../src/hierarchy/from-mapping.js';
import { saveHierarchy } from '../../src/hierarchy/sidecar.js';
import { ARTIFACTS, chromiumSkip as skip, launchChromium, startServer, tinyFixture, type RunningServer } from './serve-support.js';

let server: RunningServer;
let browser: Browser;
let photo: string;
const dir = mkdtempSync(join(tmpdir(), 'fg-web-hierarchy-'));

before(async () => {
  if (skip) return;
  const fx = await tinyFixture();
  const ckpt = join(dir, 'best.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  // Two levels: a tone over the three classes. The tone is always confident (threshold 0),
  // the class never (null → Infinity): the page must show one sure level and one greyed.
  const h = hierarchyFromMapping(fx.classes, { levels: ['tone', 'class'], classes: { class_0: ['warm'], class_1: ['cool'], class_2: ['cool'] } });
  saveHierarchy(ckpt, h, { thresholds: [0, Infinity], fit: { note: 'test' } });
  photo = join(dir, 'photo.jpg');
  await sharp(fx.photos.class_1![0]!).resize(480, 360, { kernel: 'nearest', fit: 'fill' }).jpeg({ quality: 92 }).toFile(photo);
  server = await startServer(['--checkpoint', ckpt, '--precision', 'float32', '--threads', '1']);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
  rmSync(dir, { recursive: true, force: true });
});

test('a claim that names a group of classes is decided at its level, in the library (both threads) and over HTTP', { skip, timeout: 120_000 }, async () => {
  const { classifier } = await import('../../src/index.js');
  const { readFileSync } = await import('node:fs');
  for (const worker of [false, true]) {
    // The fixture photos are low-contrast: the quality rule would make every answer uncertain.
    using clf = await classifier(join(dir, 'best.safetensors'), {
      precision: 'float32',
      worker,
      threads: worker ? 1 : undefined,
      verification: { uncertainOnPoorQuality: false },
    });
    const top = (await clf.classify(photo)).predictions[0]!.label;
    const tone = top === 'class_0' ? 'warm' : 'cool';
    const other = tone === 'warm' ? 'cool' : 'warm';
    const yes = await clf.verify(photo, tone);
    assert.equal(yes.decision, yes.unknown.isUnknown ? 'uncertain' : 'match', yes.reason);
    assert.equal(yes.level, 'tone');
    assert.equal(yes.claimed.label, tone);
    const no = await clf.verify(photo, other.toUpperCase());
    assert.equal(no.decision, no.unknown.isUnknown ? 'uncertain' : 'mismatch', no.reason);
    assert.equal(no.claimed.label, other, 'matched case-insensitively');
    assert.equal((await clf.verify(photo, top)).level, undefined, 'a class is decided as a class');
    await assert.rejects(() => clf.verify(photo, 'purple'), /names no class or group/);
  }
  const r = await fetch(`${server.url}/v1/verify?claimed=cool`, { method: 'POST', body: readFileSync(photo), headers: { 'content-type': 'image/jpeg' } });
  const b = (await r.json()) as { decision: string; level: string };
  assert.equal(r.status, 200);
  assert.equal(b.level, 'tone');
  assert.ok(['match', 'mismatch', 'uncertain'].includes(b.decision), b.decision);
  const bad = await fetch(`${server.url}/v1/verify?claimed=purple`, { method: 'POST', body: readFileSync(photo), headers: { 'content-type': 'image/jpeg' } });
  assert.equal(bad.status, 400);
});

test('the page shows the hierarchy path and greys the uncertain level', { skip, timeout: 240_000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForFunction("document.getElementById('claimed').options.length > 0", null, { timeout: 20_000 });
  await page.setInputFiles('#file', photo);
  await page.waitForFunction("!document.getElementById('hierarchy-path').hidden", null, { timeout: 30_000 });
  const levels = (await page.$$eval('#hierarchy-path .level', (els) =>
    els.map((e) => ({ level: e.getAttribute('data-level'), cls: e.getAttribute('class'), text: e.textContent })),
  )) as { level: string; cls: string; text: string }[];
  assert.deepEqual(
    levels.map((l) => l.level),
    ['tone', 'class'],
  );
  assert.match(levels[0]!.cls, /\bsure\b/, 'the tone is confident');
  assert.match(levels[1]!.cls, /\buncertain\b/, 'the class level is not');
  assert.match(levels[0]!.text, /^(warm|cool) \(\d/);
  // Greyed: the uncertain level's colour differs from the sure one's.
  // Page-side code as a string: this project compiles without the DOM types.
  const colours = (await page.evaluate("[...document.querySelectorAll('#hierarchy-path .level')].map((e) => getComputedStyle(e).color)")) as string[];
  assert.notEqual(colours[0], colours[1], `sure and uncertain levels look alike: ${colours}`);
  assert.equal(await page.getAttribute('#hierarchy-path', 'data-deepest'), '0');
  await page.screenshot({ path: join(ARTIFACTS, 'web-hierarchy.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
