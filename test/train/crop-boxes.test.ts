import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionRegionCrop, scdaCrop, type AttentionMap } from '../../src/train/crop-boxes.js';
import { attentionMaps } from '../../src/models/attention-map.js';
import { Rng } from '../../src/data/random.js';
import { scope, tensor, zeros } from '../../src/index.js';

function map(width: number, height: number, on: (x: number, y: number) => boolean): AttentionMap {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = on(x, y) ? 1 : 0;
  return { data, width, height };
}

test('attention-region crop picks the candidate box covering the most foreground', () => {
  // Foreground: a 20x20 block in the bottom-right corner of a 100x100 map.
  const m = map(100, 100, (x, y) => x >= 75 && x < 95 && y >= 70 && y < 90);
  const box = attentionRegionCrop(m, new Rng(1), { threshold: 0.5, candidates: 400, cropSize: [0.3, 0.3] });
  // A 30x30 box can hold the whole block; with 400 candidates one of them does.
  assert.equal(box.white, 400);
  assert.ok(box.x * 100 <= 75 && box.x * 100 + 30 >= 95, `x range ${box.x}`);
  assert.ok(box.y * 100 <= 70 && box.y * 100 + 30 >= 90, `y range ${box.y}`);
  assert.equal(box.width, 0.3);
});

test('attention-region crop keeps scattered regions that SCDA drops', () => {
  // Two blobs: a big one on the left, a smaller one on the right.
  const m = map(100, 100, (x, y) => (x >= 5 && x < 30 && y >= 40 && y < 65) || (x >= 70 && x < 85 && y >= 40 && y < 55));
  const scda = scdaCrop(m);
  assert.deepEqual([scda.x, scda.y, scda.width, scda.height], [0.05, 0.4, 0.25, 0.25]); // the largest component only
  const wide = attentionRegionCrop(m, new Rng(2), { threshold: 0.5, candidates: 500, cropSize: [0.9, 0.5] });
  assert.equal(wide.white, 25 * 25 + 15 * 15); // a wide box covers both regions
});

test('the chosen box is the best of the drawn candidates (brute-force check)', () => {
  const rngMap = new Rng(3);
  const m = map(40, 30, () => rngMap.next() > 0.7);
  const candidates = 25;
  const box = attentionRegionCrop(m, new Rng(9), { threshold: 0.5, candidates, cropSize: [0.5, 0.4] });
  // Recount the same candidates by brute force.
  const rng = new Rng(9);
  const cw = 20,
    ch = 12;
  let best = -1;
  for (let i = 0; i < candidates; i++) {
    const x = Math.floor(rng.next() * (40 - cw + 1));
    const y = Math.floor(rng.next() * (30 - ch + 1));
    let white = 0;
    for (let yy = y; yy < y + ch; yy++) for (let xx = x; xx < x + cw; xx++) white += m.data[yy * 40 + xx]! > 0.5 ? 1 : 0;
    best = Math.max(best, white);
  }
  assert.equal(box.white, best);
});

test('SCDA on a flat map keeps the whole image; options are validated', () => {
  assert.deepEqual(scdaCrop(map(10, 10, () => false)), { x: 0, y: 0, width: 1, height: 1 });
  assert.throws(
    () =>
      attentionRegionCrop(
        map(10, 10, () => true),
        new Rng(0),
        { cropSize: [1.5, 0.5] },
      ),
    /fractions/,
  );
});

test('attention maps reduce channels, upsample and scale each image to [0, 1]', () => {
  scope(() => {
    const f = zeros([2, 3, 2, 2]);
    f.select(0, 0).copy_(
      tensor([
        [
          [1, 0],
          [0, 0],
        ],
        [
          [1, 0],
          [0, 0],
        ],
        [
          [1, 0],
          [0, 0],
        ],
      ]),
    );
    f.select(0, 1).copy_(
      tensor([
        [
          [0, 0],
          [0, 5],
        ],
        [
          [0, 0],
          [0, 5],
        ],
        [
          [0, 0],
          [0, 5],
        ],
      ]),
    );
    const m = attentionMaps(f, [8, 8]);
    assert.deepEqual(m.shape, [2, 8, 8]);
    assert.equal(m.max().item(), 1);
    assert.equal(m.min().item(), 0);
    // the hot corner stays where it was
    assert.equal(m.select(0, 0).select(0, 0).select(0, 0).item(), 1);
    assert.equal(m.select(0, 1).select(0, 7).select(0, 7).item(), 1);
  });
});
