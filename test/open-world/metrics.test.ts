import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc } from '../../src/open-world/metrics/auroc.js';
import { fprAtTpr } from '../../src/open-world/metrics/fpr-at-tpr.js';
import { auprIn, auprOut, averagePrecision } from '../../src/open-world/metrics/aupr.js';
import { ece, eceNoiseFloor, reliabilityBins } from '../../src/open-world/metrics/ece.js';
import { thresholdAtPassRate } from '../../src/open-world/metrics/threshold.js';
import { fitTemperature, nllAtTemperature } from '../../src/open-world/temperature.js';
import { Rng } from '../../src/data/random.js';

test('a perfect separator: AUROC 1, FPR95 0, AUPR 1; reversed: AUROC 0, FPR95 1', () => {
  const id = [5, 6, 7, 8, 9];
  const ood = [0, 1, 2, 3];
  assert.equal(auroc(id, ood), 1);
  assert.equal(fprAtTpr(id, ood), 0);
  assert.equal(auprIn(id, ood), 1);
  assert.equal(auprOut(id, ood), 1);
  assert.equal(auroc(ood, id), 0);
  assert.equal(fprAtTpr(ood, id), 1);
});

test('random scores give AUROC ≈ 0.5 and FPR95 ≈ 0.95', () => {
  const rng = new Rng(7);
  const id = Array.from({ length: 4000 }, () => rng.next());
  const ood = Array.from({ length: 4000 }, () => rng.next());
  assert.ok(Math.abs(auroc(id, ood) - 0.5) < 0.02, `${auroc(id, ood)}`);
  assert.ok(Math.abs(fprAtTpr(id, ood) - 0.95) < 0.02);
  assert.ok(Math.abs(auprIn(id, ood) - 0.5) < 0.03);
});

test('AUROC counts ties one half; average precision matches a hand computation', () => {
  assert.equal(auroc([1], [1]), 0.5);
  assert.equal(auroc([2, 1], [1, 0]), (1 + 1 + 0.5 + 1) / 4);
  // ranked: 0.9 (pos), 0.8 (neg), 0.7 (pos): AP = 0.5 * 1 + 0.5 * 2/3
  assert.ok(Math.abs(averagePrecision([0.9, 0.7], [0.8]) - (0.5 + 1 / 3)) < 1e-12);
  assert.throws(() => auroc([], [1]), /both classes/);
});

test('the pass-rate threshold lets at least that fraction through', () => {
  assert.equal(thresholdAtPassRate([1, 2, 3, 4], 0.75), 2);
  assert.equal(thresholdAtPassRate([4, 3, 2, 1], 1), 1);
  const s = Array.from({ length: 100 }, (_, i) => i);
  const t = thresholdAtPassRate(s, 0.95);
  assert.equal(s.filter((v) => v >= t).length, 95);
  assert.throws(() => thresholdAtPassRate([], 0.9), /no scores/);
});

test('ECE noise floor: a calibrated model at 0.5 confidence scatters by 0.5·sqrt(2/(πn)); none at confidence 1', () => {
  // n outcomes at confidence 0.5 in one bin: ECE = |Binomial(n, 0.5)/n − 0.5|, mean ≈ 0.5·sqrt(2/(π n))
  for (const n of [100, 400, 1600]) {
    const floor = eceNoiseFloor(new Float32Array(n).fill(0.5), { draws: 400 });
    const expected = 0.5 * Math.sqrt(2 / (Math.PI * n));
    assert.ok(Math.abs(floor.mean - expected) < 0.15 * expected, `n=${n}: ${floor.mean} vs ${expected}`);
    assert.ok(floor.p95 > floor.mean);
  }
  assert.equal(eceNoiseFloor([1, 1, 1]).mean, 0);
  assert.deepEqual(eceNoiseFloor([0.3, 0.6, 0.9], { seed: 3 }), eceNoiseFloor([0.3, 0.6, 0.9], { seed: 3 }));
});

test('ECE: 0 when calibrated, |acc - conf| when not, 15 bins', () => {
  assert.equal(ece([1, 1, 1], [true, true, true]), 0);
  // all at 0.9 confidence, half right: |0.5 - 0.9| = 0.4
  assert.ok(Math.abs(ece([0.9, 0.9, 0.9, 0.9], [1, 0, 1, 0]) - 0.4) < 1e-12);
  // two bins: 0.3 (right) and 0.95 (wrong): (0.7 + 0.95) / 2
  assert.ok(Math.abs(ece([0.3, 0.95], [1, 0]) - (0.7 + 0.95) / 2) < 1e-12);
  const bins = reliabilityBins([0.05, 1 / 15, 0.5], [1, 1, 0]);
  assert.equal(bins.length, 15);
  assert.equal(bins[0]!.count, 2); // (0, 1/15] holds 1/15 itself
  assert.equal(bins[7]!.count, 1);
});

test('temperature scaling finds the NLL minimum and shrinks an over-confident model', () => {
  // Logits that are right 70% of the time with margin 5: the best T is well above 1.
  const rng = new Rng(3);
  const n = 400;
  const c = 4;
  const logits = new Float32Array(n * c);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(rng.next() * c);
    const pred = rng.next() < 0.7 ? labels[i]! : (labels[i]! + 1) % c;
    logits[i * c + pred] = 5;
  }
  const t = fitTemperature(logits, labels, c);
  assert.ok(t > 1.5, `T = ${t}`);
  const at = (x: number) => nllAtTemperature(logits, labels, c, x);
  assert.ok(at(t) <= at(t * 1.05) && at(t) <= at(t / 1.05));
  // closed form: p(correct) = e^{5/T} / (e^{5/T} + 3) should equal the accuracy at the optimum
  const acc = Array.from(labels).filter((y, i) => logits[i * c + y] === 5).length / n;
  const p = Math.exp(5 / t) / (Math.exp(5 / t) + 3);
  assert.ok(Math.abs(p - acc) < 1e-3, `${p} vs ${acc}`);
  assert.throws(() => fitTemperature(new Float32Array(0), [], c), /no validation/);
});
