import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromTypedArray, liveTensors } from '../../src/index.js';
import { Rng } from '../../src/data/random.js';
import { corruptionAugment } from '../../src/open-world/corruptions/augment.js';
import { parseTrainConfig } from '../../src/train/config.js';

function batch() {
  const rng = new Rng(1);
  const px = Uint8Array.from({ length: 4 * 3 * 24 * 24 }, () => Math.floor(rng.next() * 256));
  return fromTypedArray(px, [4, 3, 24, 24]);
}

test('corruption augmentation: p = 0 keeps the batch, p = 1 changes every image, seeded', () => {
  const before = liveTensors();
  const x = batch();
  const ctx = (s: number) => [0, 1, 2, 3].map((i) => ({ rng: new Rng(s, 'sample', i) }));
  const same = corruptionAugment(0).apply(x, ctx(0));
  assert.deepEqual(same.toTypedArray(), x.toTypedArray());
  const a = corruptionAugment(1).apply(x, ctx(5));
  const b = corruptionAugment(1).apply(x, ctx(5));
  assert.deepEqual(a.toTypedArray(), b.toTypedArray());
  assert.deepEqual(a.shape, [4, 3, 24, 24]);
  const xa = x.toTypedArray() as Uint8Array;
  const aa = a.toTypedArray() as Uint8Array;
  for (let i = 0; i < 4; i++) {
    let diff = 0;
    for (let j = i * 1728; j < (i + 1) * 1728; j++) diff += Math.abs(xa[j]! - aa[j]!);
    assert.ok(diff > 0, `image ${i} unchanged`);
  }
  for (const t of [x, same, a, b]) t.dispose();
  assert.equal(liveTensors(), before);
  assert.throws(() => corruptionAugment(2), /probability/);
});

test('the train config takes corruptionAugment (default 0) and rejects bad values', () => {
  assert.equal(parseTrainConfig({ data: 'd' }).corruptionAugment, 0);
  assert.equal(parseTrainConfig({ data: 'd', corruptionAugment: 0.5 }).corruptionAugment, 0.5);
  assert.throws(() => parseTrainConfig({ data: 'd', corruptionAugment: 3 }));
});
