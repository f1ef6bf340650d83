// The bench's cross-validated choices for the long-tail head (bench/open-world): folds split
// images, never an image from its own augmented views, and the representation choice reads
// held-out predictions only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { Rng } from '../../src/data/random.js';
import { crossValidatedPredictions } from '../../bench/open-world/longtail-strength.js';
import { chooseRepresentation } from '../../bench/open-world/longtail-representation.js';

/** n images of random labels: noise features a head can memorise but not generalise from. */
function noise(n: number, d: number, classes: number, seed: number) {
  const rng = new Rng(seed, 'longtail-choice-test');
  const x = Float32Array.from({ length: n * d }, () => rng.uniform(-1, 1));
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  return { x, labels };
}

const heldOutAccuracy = (held: { labels: number[]; logitAdjustment: number[][] }) =>
  held.labels.filter((y, i) => held.logitAdjustment[0]![i] === y).length / held.labels.length;

test('crossValidatedPredictions keeps each image and its views in the same fold', () => {
  const { x, labels } = noise(60, 64, 4, 1);
  // The "view" is the image itself: if folds split rows, a held-out image would be in training.
  const leakFree = crossValidatedPredictions(x, labels, 4, { folds: 3, steps: 200, candidates: [0, 1], trainViews: [x] });
  assert.equal(leakFree.labels.length, 60);
  assert.ok(heldOutAccuracy(leakFree) < 0.6, `held-out accuracy on random labels ${heldOutAccuracy(leakFree)}`);
  // The same heads do learn where there is something to learn (so the check above can fail):
  // feature j = 8 * [label == j] plus the noise gives near-perfect held-out accuracy.
  const signal = x.map((v, k) => v + (labels[Math.floor(k / 64)] === k % 64 ? 8 : 0));
  const learnt = crossValidatedPredictions(signal, labels, 4, { folds: 3, steps: 200, candidates: [0, 1], trainViews: [signal] });
  assert.ok(heldOutAccuracy(learnt) > 0.9, `held-out accuracy with signal ${heldOutAccuracy(learnt)}`);
});

test('chooseRepresentation prefers the representation whose held-out rare classes do better', () => {
  // Two classes along feature 0; class 1 is rare. In 'separable' the rare class sits far
  // away, in 'overlapping' on top of the common one.
  const n = 40;
  const labels = Array.from({ length: n }, (_, i) => (i < 34 ? 0 : 1));
  const rng = new Rng(2, 'longtail-choice-test');
  const make = (gap: number) => Float32Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? labels[k >> 1]! * gap : 0) + rng.uniform(-1, 1));
  const overlapping = make(0.2);
  const separable = make(4);
  const choice = chooseRepresentation(
    [
      { name: 'overlapping', train: [overlapping], heldOut: overlapping, test: overlapping },
      { name: 'separable', train: [separable], heldOut: separable, test: separable },
    ],
    labels,
    [34, 6],
    { folds: 3, many: 15, few: 6, budget: 0.03, steps: 200 },
  );
  assert.equal(choice.best, 'separable');
  const sep = choice.scores.find((s) => s.name === 'separable')!;
  assert.ok(sep.heldOutFew[1] > 0.8, `separable held-out few ${sep.heldOutFew[1]}`);
});
