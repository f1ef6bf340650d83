import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessQuality, DEFAULT_QUALITY_THRESHOLDS } from '../../src/open-world/quality.js';
import { assessQualityOffThread, warmUpQualityThread } from '../../src/pipeline/quality-thread.js';
import { readdirSync } from 'node:fs';
import { qualityView } from '../../src/pipeline/served-answers.js';
import { defaultPreprocess } from '../../src/models/registry.js';
import { Rng } from '../../src/data/random.js';

function image(w: number, h: number, seed: number) {
  const rng = new Rng(seed);
  const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => Math.floor(((i % (w * 3)) / (w * 3)) * 200 + rng.next() * 40));
  return { data, width: w, height: h, channels: 3 as const };
}

// First in the file: no photo has started the thread yet.
test(
  'warm-up starts the quality thread before the first photo; later photos use the same thread',
  { skip: process.platform !== 'linux' && 'counts /proc/self/task' },
  async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    await warmUpQualityThread();
    const started = threads();
    assert.ok(started > before, `a thread started (${before} → ${started})`);
    await assessQualityOffThread(image(40, 30, 9), DEFAULT_QUALITY_THRESHOLDS);
    await warmUpQualityThread();
    assert.equal(threads(), started, 'no second thread');
  },
);

test('the quality thread answers what assessQuality answers, concurrently, and leaves the caller its pixels', async () => {
  const imgs = [image(300, 224, 1), image(224, 224, 2), image(40, 30, 3)];
  const copies = imgs.map((im) => Uint8Array.from(im.data));
  const tight = { ...DEFAULT_QUALITY_THRESHOLDS, minContrast: 0.5 };
  const off = await Promise.all(imgs.flatMap((im) => [assessQualityOffThread(im, DEFAULT_QUALITY_THRESHOLDS), assessQualityOffThread(im, tight)]));
  imgs.forEach((im, i) => {
    assert.deepEqual(off[2 * i], assessQuality(im, DEFAULT_QUALITY_THRESHOLDS));
    assert.deepEqual(off[2 * i + 1], assessQuality(im, tight));
    assert.deepEqual(im.data, copies[i], 'the caller keeps its pixels');
  });
  assert.ok(off[5]!.issues.includes('low_resolution'));
  assert.ok(off[1]!.issues.includes('low_contrast'));
});

test('owned pixels move to the quality thread uncopied; a view into a larger buffer is copied even when owned', async () => {
  const im = image(120, 90, 5);
  const expected = assessQuality({ ...im, data: Uint8Array.from(im.data) }, DEFAULT_QUALITY_THRESHOLDS);
  assert.deepEqual(await assessQualityOffThread(im, DEFAULT_QUALITY_THRESHOLDS, { owned: true }), expected);
  assert.equal(im.data.byteLength, 0, 'the buffer was transferred (detached here), not copied');
  const big = image(120, 91, 5);
  const view = { ...big, height: 90, data: big.data.subarray(0, 120 * 90 * 3) };
  assert.deepEqual(await assessQualityOffThread(view, DEFAULT_QUALITY_THRESHOLDS, { owned: true }), expected);
  assert.equal(big.data.byteLength, 120 * 91 * 3, 'a view of a shared buffer is copied: the rest of it stays usable');
});

test('a malformed image is a RangeError from the quality thread, and the thread goes on answering', async () => {
  await assert.rejects(assessQualityOffThread({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, DEFAULT_QUALITY_THRESHOLDS), (e: Error) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /needs 12 bytes/);
    return true;
  });
  const ok = image(64, 64, 4);
  assert.deepEqual(await assessQualityOffThread(ok, DEFAULT_QUALITY_THRESHOLDS), assessQuality(ok));
});

test('qualityView is the centre square the model crops: inputSize of resizeSide on the shorter side', () => {
  const img = image(300, 200, 5);
  const v = qualityView(img, { ...defaultPreprocess('mobilenet_v2'), inputSize: 224, cropFraction: 0.875 });
  // resizeSide 256: the model sees 224/256 of the 200-px side, 175 px, centred
  assert.equal(v.width, 175);
  assert.equal(v.height, 175);
  const [x0, y0] = [(300 - 175) >> 1, (200 - 175) >> 1];
  for (const [x, y] of [
    [0, 0],
    [174, 174],
    [87, 3],
  ] as const)
    for (let c = 0; c < 3; c++) assert.equal(v.data[(y * 175 + x) * 3 + c], img.data[((y0 + y) * 300 + x0 + x) * 3 + c]);
  const square = image(175, 175, 6);
  assert.equal(qualityView(square, { ...defaultPreprocess('mobilenet_v2'), inputSize: 175, cropFraction: 1 }), square);
});
