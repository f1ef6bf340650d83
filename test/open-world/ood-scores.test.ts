import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/creation.js';
import { energyScore } from '../../src/open-world/ood/energy.js';
import { knnScore, l2Normalize } from '../../src/open-world/ood/knn.js';
import { fitClassGaussians, mahalanobisScore } from '../../src/open-world/ood/mahalanobis.js';
import { maxLogitScore } from '../../src/open-world/ood/max-logit.js';
import { mspScore } from '../../src/open-world/ood/msp.js';
import { quantile, reactClipValue, reactScore } from '../../src/open-world/ood/react.js';
import { scaleFactors, scaleScore } from '../../src/open-world/ood/scale.js';
import { liveTensors } from '../../src/index.js';

const close = (a: number, b: number, tol = 1e-5, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);

test('MSP, max-logit and energy equal their hand-computed values', () => {
  const before = liveTensors();
  const logits = tensor([
    [2, 0, 0],
    [1, 1, 1],
    [-1, 3, 0.5],
  ]);
  const msp = mspScore(logits);
  close(msp[0]!, Math.exp(2) / (Math.exp(2) + 2));
  close(msp[1]!, 1 / 3);
  // temperature 2: softmax([1, 0, 0])
  close(mspScore(logits, 2)[0]!, Math.E / (Math.E + 2));
  assert.deepEqual(Array.from(maxLogitScore(logits)), [2, 1, 3]);
  const e = energyScore(logits);
  close(e[0]!, Math.log(Math.exp(2) + 2));
  close(e[1]!, Math.log(3) + 1);
  close(e[2]!, Math.log(Math.exp(-1) + Math.exp(3) + Math.exp(0.5)));
  logits.dispose();
  assert.equal(liveTensors(), before);
});

test('KNN is minus the distance to the k-th nearest normalised bank member', () => {
  const bank = l2Normalize(
    tensor([
      [1, 0],
      [0, 1],
      [-1, 0],
    ]),
  );
  const x = tensor([[3, 3]]); // unit (1, 1)/√2: distances √(2 - √2), √(2 - √2), √(2 + √2)
  close(knnScore(x, bank, 1)[0]!, -Math.sqrt(2 - Math.SQRT2));
  close(knnScore(x, bank, 2)[0]!, -Math.sqrt(2 - Math.SQRT2));
  close(knnScore(x, bank, 3)[0]!, -Math.sqrt(2 + Math.SQRT2));
  close(knnScore(tensor([[-2, 0]]), bank, 1)[0]!, 0);
  assert.throws(() => knnScore(x, bank, 4), /exceeds the feature bank/);
  assert.throws(() => knnScore(x, bank, 0), /positive integer/);
  bank.dispose();
  x.dispose();
});

test('Mahalanobis uses class means and the shared covariance (checked by hand)', () => {
  // class 0 at (0,0) with points (±1, 0); class 1 at (10, 0) with points (10, ±2).
  const emb = tensor([
    [-1, 0],
    [1, 0],
    [10, -2],
    [10, 2],
  ]);
  const { classMeans, precision } = fitClassGaussians(emb, [0, 0, 1, 1], 2);
  assert.deepEqual(classMeans.toArray(), [
    [0, 0],
    [10, 0],
  ]);
  // shared covariance diag(2/4, 8/4) = diag(0.5, 2), plus ridge 1e-3 * 1.25
  const r = 1e-3 * 1.25;
  const p = precision.toArray() as number[][];
  close(p[0]![0]!, 1 / (0.5 + r), 1e-4);
  close(p[1]![1]!, 1 / (2 + r), 1e-4);
  close(p[0]![1]!, 0, 1e-6);
  const x = tensor([
    [1, 1],
    [9, 0],
  ]);
  const s = mahalanobisScore(x, classMeans, precision);
  close(s[0]!, -(1 / (0.5 + r) + 1 / (2 + r)), 1e-4);
  close(s[1]!, -(1 / (0.5 + r)), 1e-4);
  for (const t of [emb, classMeans, precision, x]) t.dispose();
});

test('ReAct clips at the percentile, then takes the energy of the head', () => {
  close(quantile([1, 2, 3, 4, 5], 0.9), 4.6);
  const train = tensor([[0, 1, 2, 3, 4]]);
  close(reactClipValue(train, 50), 2);
  const w = tensor([
    [1, 0],
    [0, 1],
  ]);
  const b = tensor([0, 0]);
  const x = tensor([[5, 1]]);
  // clip at 2 -> logits (2, 1) -> logsumexp
  close(reactScore(x, w, b, 2)[0]!, Math.log(Math.exp(2) + Math.exp(1)));
  for (const t of [train, w, b, x]) t.dispose();
});

test('SCALE multiplies each row by exp(sum / sum of its top activations)', () => {
  const x = tensor([[1, 2, 3, 4]]);
  // p = 50: keep the values above the 2nd smallest (2): 3 + 4 = 7; s1 = 10
  const f = scaleFactors(x, 50);
  close(f[0]!, Math.exp(10 / 7));
  const w = tensor([
    [1, 0, 0, 0],
    [0, 0, 0, 1],
  ]);
  const b = tensor([0, 1]);
  const k = Math.exp(10 / 7);
  close(scaleScore(x, w, b, 50)[0]!, Math.log(Math.exp(k) + Math.exp(4 * k + 1)), 1e-5);
  for (const t of [x, w, b]) t.dispose();
});
