/**
 * The retraining recipe of bench/suggest: a linear probe — multinomial logistic regression on
 * the frozen backbone's embeddings, z-scored with statistics of every training image (no labels
 * needed) — trained full-batch with AdamW for a fixed number of steps from a seeded start. The
 * same recipe trains the starting model and every arm, so differences come from which photos
 * were labelled. A probe's temperature is fitted as `finegrain calibrate` fits one, on held-out
 * logits: here two-fold cross-fitted over the labelled photos (the only labels there are).
 */
import { crossEntropy } from '../../src/nn/functional/loss.js';
import { AdamW } from '../../src/optim/adamw.js';
import { fitTemperature } from '../../src/open-world/temperature.js';
import { manualSeed } from '../../src/runtime/index.js';
import { fromTypedArray, randn, tensor, zeros } from '../../src/tensor/index.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** The probe's hyperparameters (fixed for every arm). */
export const PROBE = { steps: 300, lr: 0.01, weightDecay: 5e-4 };

/** A trained probe: weight [C, D] and bias [C], on z-scored features. */
export interface Probe {
  weight: Tensor;
  bias: Tensor;
  dispose(): void;
}

/** Trains the probe on rows `rows` of `x` (z-scored [N, D]) with labels `y` (per row of x). */
export function trainProbe(x: Tensor, y: Int32Array, rows: readonly number[], numClasses: number, seed: number): Probe {
  manualSeed(seed);
  const d = x.size(1);
  const weight = scope(() => randn([numClasses, d]).mul(0.01).keep());
  weight.requiresGrad = true;
  const bias = zeros([numClasses], { requiresGrad: true });
  const idx = tensor([...rows], { dtype: 'int64' });
  const xs = x.indexSelect(0, idx);
  const ys = fromTypedArray(
    BigInt64Array.from(rows, (r) => BigInt(y[r]!)),
    [rows.length],
  );
  const opt = new AdamW([weight, bias], { lr: PROBE.lr, weightDecay: PROBE.weightDecay });
  try {
    for (let s = 0; s < PROBE.steps; s++)
      scope(() => {
        opt.zeroGrad();
        crossEntropy(xs.mm(weight.t()).add(bias), ys).backward();
        opt.step();
      });
  } finally {
    for (const t of [idx, xs, ys]) t.dispose();
    opt.dispose();
  }
  weight.requiresGrad = false;
  bias.requiresGrad = false;
  return { weight, bias, dispose: () => (weight.dispose(), bias.dispose()) };
}

/** Logits [rows, C] of the probe on rows of `x`, as a Float32Array. */
export function probeLogits(p: Probe, x: Tensor, rows: readonly number[]): Float32Array {
  return scope(
    () =>
      x
        .indexSelect(0, tensor([...rows], { dtype: 'int64' }))
        .mm(p.weight.t())
        .add(p.bias)
        .contiguous()
        .toTypedArray() as Float32Array,
  );
}

/** Top-1 of the probe on rows of `x` with labels `y`. */
export function accuracy(p: Probe, x: Tensor, y: Int32Array, rows: readonly number[], numClasses: number): number {
  const logits = probeLogits(p, x, rows);
  let ok = 0;
  rows.forEach((r, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c]! > logits[i * numClasses + best]!) best = c;
    if (best === y[r]) ok++;
  });
  return ok / rows.length;
}

/** The temperature of a probe trained on `rows`, fitted on two-fold cross-fitted logits of those rows. */
export function crossFittedTemperature(x: Tensor, y: Int32Array, rows: readonly number[], numClasses: number, seed: number): number {
  const halves = [rows.filter((_, i) => i % 2 === 0), rows.filter((_, i) => i % 2 === 1)];
  const logits: number[] = [];
  const labels: number[] = [];
  for (let h = 0; h < 2; h++) {
    const p = trainProbe(x, y, halves[h]!, numClasses, seed);
    const other = halves[1 - h]!;
    logits.push(...probeLogits(p, x, other));
    labels.push(...other.map((r) => y[r]!));
    p.dispose();
  }
  return fitTemperature(Float32Array.from(logits), labels, numClasses);
}
