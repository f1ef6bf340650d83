import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openInputs, topKPredictions, writePredictions, PredictionError } from '../../src/infer/predict-files.js';
import { blendHeatmap, jet, renderOverlay } from '../../src/infer/attention-overlay.js';
import { parseTta } from '../../src/cli/shared-flags.js';
import { tensor } from '../../src/tensor/creation.js';
import { liveTensors } from '../../src/index.js';

test('parseTta reads flips and scale lists, and rejects anything else', () => {
  assert.deepEqual(parseTta('flips,scales=1,1.15'), { flips: true, scales: [1, 1.15] });
  assert.deepEqual(parseTta('scales=0.9,1,1.2,flips'), { scales: [0.9, 1, 1.2], flips: true });
  assert.deepEqual(parseTta('flips'), { flips: true });
  assert.equal(parseTta(undefined), undefined);
  assert.equal(parseTta('none'), undefined);
  for (const bad of ['flip,1.2', 'scales=0', 'scales=x', 'rotate', 'scales=1,,2']) {
    assert.throws(
      () => parseTta(bad),
      (e: Error) => e.name === 'UsageError',
      bad,
    );
  }
});

test('topKPredictions names the k best classes per row, best first', () => {
  const before = liveTensors();
  const probs = tensor([
    [0.1, 0.7, 0.2],
    [0.5, 0.2, 0.3],
  ]);
  const rows = topKPredictions(probs, ['a', 'b', 'c'], ['x.jpg', 'sub/y.jpg'], ['/d/x.jpg', '/d/sub/y.jpg'], 2);
  probs.dispose();
  assert.equal(liveTensors(), before, 'no tensor leaks');
  assert.deepEqual(
    rows.map((r) => [r.filename, r.top.map((t) => t.label)]),
    [
      ['x.jpg', ['b', 'c']],
      ['sub/y.jpg', ['a', 'c']],
    ],
  );
  assert.ok(Math.abs(rows[0]!.top[0]!.score - 0.7) < 1e-6);
  // k larger than the class count is clamped.
  const all = topKPredictions(tensor([[0.2, 0.8]]), ['a', 'b'], ['x'], ['/x'], 5);
  assert.equal(all[0]!.top.length, 2);
  assert.throws(() => topKPredictions(tensor([[1, 0]]), ['a', 'b', 'c'], ['x'], ['/x'], 1), RangeError);
});

test('writePredictions writes the Kaggle CSV layout (quoted where needed) and JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-preds-'));
  const rows = [
    { filename: 'a.jpg', path: '/d/a.jpg', top: [{ label: 'sparrow', score: 0.9 }] },
    { filename: 'b,"c".jpg', path: '/d/b.jpg', top: [{ label: 'gull, herring', score: 0.6 }] },
  ];
  writePredictions(join(dir, 'p.csv'), rows);
  assert.equal(readFileSync(join(dir, 'p.csv'), 'utf8'), 'filename,label\na.jpg,sparrow\n"b,""c"".jpg","gull, herring"\n');
  writePredictions(join(dir, 'q.csv'), rows.slice(0, 1), { labelColumn: 'cultivar' });
  assert.equal(readFileSync(join(dir, 'q.csv'), 'utf8'), 'filename,cultivar\na.jpg,sparrow\n');
  writePredictions(join(dir, 'p.json'), rows, { skipped: [{ path: '/d/z.jpg', reason: 'corrupt', detail: 'bad' }], extra: { topK: 1 } });
  const json = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8'));
  assert.equal(json.topK, 1);
  assert.deepEqual(json.predictions, rows);
  assert.equal(json.skipped[0].reason, 'corrupt');
  assert.throws(() => writePredictions(join(dir, 'p.txt'), rows), PredictionError);
});

test('openInputs names files relative to their folder, reports what it cannot use, and refuses nothing at all', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-inputs-'));
  mkdirSync(join(dir, 'test/sub'), { recursive: true });
  for (const f of ['test/1.jpg', 'test/sub/2.png', 'alone.webp']) writeFileSync(join(dir, f), 'x');
  writeFileSync(join(dir, 'test/readme.txt'), 'x');
  const { dataset, names } = openInputs([
    join(dir, 'test'),
    join(dir, 'alone.webp'),
    join(dir, 'missing.jpg'),
    join(dir, 'test/readme.txt'),
    join(dir, 'alone.webp'),
  ]);
  assert.deepEqual(
    dataset.samples.map((s) => names.get(s.path)),
    ['1.jpg', 'sub/2.png', 'alone.webp'],
  );
  assert.ok(dataset.samples.every((s) => s.label === -1));
  const reasons = dataset.skipped.files.map((f) => [f.path.slice(dir.length), f.reason]);
  assert.deepEqual(reasons.sort(), [
    ['/missing.jpg', 'missing'],
    ['/test/readme.txt', 'unsupported-extension'],
    ['/test/readme.txt', 'unsupported-extension'],
  ]);
  assert.throws(() => openInputs([join(dir, 'missing.jpg')]), /no images to predict.*missing/s);
  assert.throws(() => openInputs([]), PredictionError);
});

test('the heat-map blend: alpha 0 keeps the image, alpha 1 is the colour map; jet runs blue to red', () => {
  assert.deepEqual(jet(0), [0, 0, 128]);
  assert.deepEqual(jet(1), [128, 0, 0]);
  assert.deepEqual(jet(0.5), [128, 255, 128]);
  const image = { data: Uint8Array.from([10, 20, 30, 200, 100, 50]), width: 2, height: 1 };
  const map = Uint8Array.from([0, 255]);
  assert.deepEqual([...blendHeatmap(image, map, 0).data], [...image.data]);
  assert.deepEqual([...blendHeatmap(image, map, 1).data], [...jet(0), ...jet(1)]);
  const half = blendHeatmap(image, map, 0.5).data;
  assert.equal(half[0], Math.round(0.5 * 10 + 0.5 * 0));
  assert.equal(half[5], Math.round(0.5 * 50 + 0.5 * 0));
  assert.throws(() => blendHeatmap(image, Uint8Array.from([0]), 0.5), RangeError);
});

test('renderOverlay keeps the image size (not the map size) and writes the caption', async () => {
  const w = 37;
  const h = 21;
  const image = { data: new Uint8Array(w * h * 3).fill(128), width: w, height: h };
  const side = 8;
  const map = new Float32Array(side * side).map((_, i) => (i % side) / (side - 1)); // left cold, right hot
  const plain = await renderOverlay(image, map, side, { alpha: 1 });
  const meta = await sharp(plain).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [w, h, 3]);
  const px = await sharp(plain).raw().toBuffer();
  const at = (x: number, y: number) => [...px.subarray(3 * (y * w + x), 3 * (y * w + x) + 3)];
  assert.ok(at(0, h - 1)[2]! > at(0, h - 1)[0]!, 'left edge is blue');
  assert.ok(at(w - 1, h - 1)[0]! > at(w - 1, h - 1)[2]!, 'right edge is red');
  const captioned = await renderOverlay(image, map, side, { alpha: 1, caption: 'class <1> & co' });
  const m2 = await sharp(captioned).metadata();
  assert.deepEqual([m2.width, m2.height, m2.channels], [w, h, 3]);
  assert.notDeepEqual(await sharp(captioned).raw().toBuffer(), px, 'the caption changes pixels');
});
