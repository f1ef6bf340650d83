import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entropy, isUncertaintyMeasure, margin, topTwo, uncertaintyOf } from '../../src/active-learning/uncertainty.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('margin and entropy against values worked by hand', () => {
  // [0.5, 0.3, 0.2]: margin 0.2; entropy −(0.5 ln 0.5 + 0.3 ln 0.3 + 0.2 ln 0.2)
  close(margin([0.2, 0.5, 0.3]), 0.2, 'margin');
  close(entropy([0.5, 0.3, 0.2]), 0.34657359027997264 + 0.36119184129778081 + 0.32188758248682003, 'entropy');
  // two equal classes: margin 0, entropy ln 2; a sure answer: margin 1, entropy 0 (0 · ln 0 = 0)
  close(margin([0.5, 0.5]), 0, 'tie margin');
  close(entropy([0.5, 0.5]), Math.LN2, 'tie entropy');
  close(margin([0, 1, 0]), 1, 'sure margin');
  assert.equal(entropy([0, 1, 0]), 0);
  // uniform over K classes: the largest entropy, ln K
  close(entropy(new Float32Array(4).fill(0.25)), Math.log(4), 'uniform');
  // one class: the margin is its probability
  close(margin([1]), 1, 'one class');
});

test('topTwo finds the best and the runner-up wherever they sit', () => {
  assert.deepEqual(topTwo([0.1, 0.2, 0.7]), [2, 1]);
  assert.deepEqual(topTwo([0.7, 0.2, 0.1]), [0, 1]);
  assert.deepEqual(topTwo([0.2, 0.7, 0.05, 0.05]), [1, 0]);
  assert.deepEqual(topTwo([1]), [0, -1]);
});

test('uncertaintyOf: higher is less sure under both measures, and the two can disagree', () => {
  const sure = [0.9, 0.05, 0.05];
  const unsure = [0.4, 0.35, 0.25];
  for (const m of ['margin', 'entropy'] as const) assert.ok(uncertaintyOf(unsure, m) > uncertaintyOf(sure, m), m);
  close(uncertaintyOf(unsure, 'margin'), 1 - 0.05, 'margin uncertainty');
  close(uncertaintyOf(unsure, 'entropy'), entropy(unsure), 'entropy uncertainty');
  // two close classes and nothing else vs mass spread over many: margin prefers the first, entropy the second
  const pair = [0.5, 0.46, 0.04, 0, 0, 0];
  const spread = [0.3, 0.14, 0.14, 0.14, 0.14, 0.14];
  assert.ok(uncertaintyOf(pair, 'margin') > uncertaintyOf(spread, 'margin'));
  assert.ok(uncertaintyOf(spread, 'entropy') > uncertaintyOf(pair, 'entropy'));
  assert.ok(isUncertaintyMeasure('entropy') && !isUncertaintyMeasure('variance'));
});
