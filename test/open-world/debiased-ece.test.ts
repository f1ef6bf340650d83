import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationErrorEstimate, debiasedCalibrationError, normalQuantile } from '../../src/open-world/metrics/debiased-ece.js';
import { Rng } from '../../src/data/random.js';

test('the debiased ℓ2 estimate matches a hand computation', () => {
  // Bin 13 of 15 (0.9): 10 images, 5 right: gap (0.5 − 0.9)² = 0.16, spread 0.25 / 9.
  // Bin 4 (0.3): 4 images, 2 right: gap 0.04, spread 0.25 / 3.
  const conf = [...Array(10).fill(0.9), ...Array(4).fill(0.3)];
  const correct = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0];
  const e = debiasedCalibrationError(conf, correct);
  const sq = (10 / 14) * (0.16 - 0.25 / 9) + (4 / 14) * (0.04 - 0.25 / 3);
  assert.ok(Math.abs(e.l2Squared - sq) < 1e-12, `${e.l2Squared} vs ${sq}`);
  assert.ok(Math.abs(e.l2 - Math.sqrt(sq)) < 1e-12);
  assert.ok(Math.abs(e.ece - ((10 / 14) * 0.4 + (4 / 14) * 0.2)) < 1e-12);
  // A bin whose images are all right or all wrong has no spread: nothing is subtracted.
  const sure = debiasedCalibrationError([0.9, 0.9, 0.9], [1, 1, 1]);
  assert.ok(Math.abs(sure.l2Squared - 0.01) < 1e-12 && Math.abs(sure.l1 - 0.1) < 1e-12, JSON.stringify(sure));
});

function draw(rng: Rng, n: number, shift: number): { conf: Float64Array; correct: Uint8Array } {
  const conf = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    conf[i] = rng.uniform(0.3, 1);
    correct[i] = rng.next() < conf[i]! - shift ? 1 : 0; // accuracy = confidence − shift
  }
  return { conf, correct };
}

/** Means of each estimate over `runs` seeded test sets of `n` images, accuracy = confidence − shift. */
function meanEstimates(seed: number, n: number, shift: number, runs = 40) {
  const rng = new Rng(seed, 'simulated test sets');
  const mean = { ece: 0, l1: 0, l2: 0, l2Squared: 0 };
  for (let r = 0; r < runs; r++) {
    const { conf, correct } = draw(rng, n, shift);
    const e = debiasedCalibrationError(conf, correct, { seed: r });
    for (const k of Object.keys(mean) as (keyof typeof mean)[]) mean[k] += e[k] / runs;
  }
  return mean;
}

test('on a perfectly calibrated model of 449 images the plug-in ECE reads ~5 %, the squared ℓ2 estimate ~0, the ℓ1 correction takes off part of the bias', () => {
  const m = meanEstimates(3, 449, 0);
  assert.ok(m.ece > 0.035, `plug-in ECE ${m.ece}`);
  // Unbiased for the square: its mean sits near 0 (a plug-in square would be ~0.003).
  assert.ok(Math.abs(m.l2Squared) < 3e-4, `unbiased squared ℓ2 ${m.l2Squared}`);
  // The ℓ1 correction redraws around the observed accuracies, so near 0 it removes only part of the bias.
  assert.ok(m.l1 < 0.75 * m.ece && m.l1 > 0, `debiased ℓ1 ${m.l1} against plug-in ${m.ece}`);
});

test('a model over-confident by 10 points: both estimates land near 0.10', () => {
  const m = meanEstimates(4, 449, 0.1);
  // √(unbiased square) is close; the ℓ1 correction over-corrects a little at a gap this size (~0.092).
  assert.ok(Math.abs(Math.sqrt(m.l2Squared) - 0.1) < 0.006, `√ mean squared ℓ2 ${Math.sqrt(m.l2Squared)}`);
  assert.ok(Math.abs(m.l2 - 0.1) < 0.012, `debiased ℓ2 ${m.l2}`);
  assert.ok(Math.abs(m.l1 - 0.1) < 0.015 && m.l1 < m.ece, `debiased ℓ1 ${m.l1}, plug-in ${m.ece}`);
  assert.ok(m.ece > 0.1, `plug-in ${m.ece}`);
});

test('normalQuantile matches the standard normal', () => {
  // Python's statistics.NormalDist().inv_cdf
  const cases: [number, number][] = [
    [0.001, -3.090232306167813],
    [0.02, -2.0537489106318225],
    [0.5, 0],
    [0.95, 1.6448536269514715],
    [0.975, 1.9599639845400536],
  ];
  for (const [q, z] of cases) assert.ok(Math.abs(normalQuantile(q) - z) < 1e-8, `${q}: ${normalQuantile(q)}`);
  assert.throws(() => normalQuantile(1), /level must be in \(0, 1\)/);
});

test('the upper bound holds the true error at its level, and tightens with more images', () => {
  const rng = new Rng(5, 'upper bound');
  for (const shift of [0.05, 0.1]) {
    let held = 0;
    const sets = 200;
    for (let r = 0; r < sets; r++) {
      const { conf, correct } = draw(rng, 449, shift);
      if (calibrationErrorEstimate(conf, correct).l2Upper >= shift) held++;
    }
    assert.ok(held / sets >= 0.9, `shift ${shift}: the bound held in ${held} of ${sets}`);
  }
  // A calibrated model: 449 images cannot rule out a few points of error, 4,490 rule out more.
  const small = draw(rng, 449, 0);
  const big = draw(rng, 4490, 0);
  const s = calibrationErrorEstimate(small.conf, small.correct);
  const b = calibrationErrorEstimate(big.conf, big.correct);
  assert.ok(b.l2Upper < 0.7 * s.l2Upper, `${b.l2Upper} vs ${s.l2Upper}`);
  assert.ok(s.l2Upper >= s.l2 && s.l2StandardError > 0);
});

test('bad input gets a clear error', () => {
  assert.throws(() => debiasedCalibrationError([], []), /no predictions/);
  assert.throws(() => calibrationErrorEstimate([0.5, 0.6], [1]), /2 confidences, 1 outcomes/);
});
