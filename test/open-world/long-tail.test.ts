import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/index.js';
import { longTailSubset, logPriors, tauNormalize } from '../../src/open-world/long-tail.js';

test('longTailSubset keeps an exponential profile with the asked imbalance, seeded', () => {
  const labels = Array.from({ length: 100 * 30 }, (_, i) => i % 100);
  const a = longTailSubset(labels, { numClasses: 100, imbalance: 10, seed: 3 });
  const b = longTailSubset(labels, { numClasses: 100, imbalance: 10, seed: 3 });
  assert.deepEqual(a.indices, b.indices);
  assert.equal(Math.max(...a.counts), 30);
  assert.equal(Math.min(...a.counts), 3);
  // the class of rank r keeps round(30 * 10^(-r/99))
  for (let c = 0; c < 100; c++) assert.equal(a.counts[c], Math.round(30 * 10 ** (-a.rankOfClass[c]! / 99)));
  for (const i of a.indices) assert.ok(i >= 0 && i < labels.length);
  const c = longTailSubset(labels, { numClasses: 100, imbalance: 10, seed: 4 });
  assert.notDeepEqual(a.indices, c.indices);
  assert.throws(() => longTailSubset([0, 5], { numClasses: 2 }), /outside/);
});

test('logPriors and tau-normalisation by hand', () => {
  const p = logPriors([3, 1]);
  assert.ok(Math.abs(p[0]! - Math.log(0.75)) < 1e-6 && Math.abs(p[1]! - Math.log(0.25)) < 1e-6);
  const w = tensor([
    [3, 4],
    [0, 2],
  ]);
  const n = tauNormalize(w, 1);
  assert.deepEqual(
    (n.toArray() as number[][]).map((r) => r.map((v) => Math.round(v * 1000) / 1000)),
    [
      [0.6, 0.8],
      [0, 1],
    ],
  );
  const h = tauNormalize(w, 0);
  assert.deepEqual(h.toArray(), w.toArray());
  for (const t of [w, n, h]) t.dispose();
});
