import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/index.js';
import { balancedAccuracy, chooseByBalancedAccuracy, longTailSubset, logPriors, stratifiedFolds, tauNormalize } from '../../src/open-world/long-tail.js';

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

test('stratifiedFolds deals every class round the folds, seeded; small classes spread over folds', () => {
  // class 0: 30 samples, class 1: 3, classes 2..5: 1 each
  const labels = [...Array<number>(30).fill(0), 1, 1, 1, 2, 3, 4, 5];
  const a = stratifiedFolds(labels, 3, 7);
  assert.deepEqual(a, stratifiedFolds(labels, 3, 7));
  assert.notDeepEqual(a, stratifiedFolds(labels, 3, 8));
  for (let f = 0; f < 3; f++) {
    assert.equal(labels.filter((y, i) => y === 0 && a[i] === f).length, 10, 'class 0 splits 10 / 10 / 10');
    assert.equal(labels.filter((y, i) => y === 1 && a[i] === f).length, 1, 'class 1 has one sample in every fold');
  }
  // the four single-sample classes do not all land in one fold
  assert.ok(new Set([2, 3, 4, 5].map((c) => a[labels.indexOf(c)])).size >= 2);
  assert.throws(() => stratifiedFolds(labels, 1), /folds/);
});

test('balancedAccuracy weighs classes equally; chooseByBalancedAccuracy picks the best candidate', () => {
  // 9 of class 0 all right, 1 of class 1 wrong: accuracy 0.9, balanced 0.5
  const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const allZero = labels.map(() => 0);
  assert.equal(balancedAccuracy(allZero, labels), 0.5);
  assert.equal(balancedAccuracy(labels, labels), 1);
  assert.throws(() => balancedAccuracy([0], labels), /predictions/);
  assert.throws(() => balancedAccuracy([], []), /no samples/);
  const { best, scores } = chooseByBalancedAccuracy(
    ['zeros', 'truth', 'ones'],
    (c) => (c === 'zeros' ? allZero : c === 'truth' ? labels : labels.map(() => 1)),
    labels,
  );
  assert.equal(best, 'truth');
  assert.deepEqual(scores, [0.5, 1, 0.5]);
  assert.throws(() => chooseByBalancedAccuracy([], () => [], labels), /no candidates/);
});
