/**
 * Long-tailed training subsets and the post-hoc remedies for them.
 *
 * - `longTailSubset`: keeps n_c = round(n_max · ρ^(−r_c / (C − 1))) images of the class of
 *   rank r_c (the exponential profile of Cui et al. 2019 / Cao et al. 2019 (LDAM) / Kang et
 *   al. 2020, imbalance factor ρ = n_max / n_min, 10 by default); which class gets which rank
 *   and which images are kept are seeded.
 * - `logPriors`: log class frequencies, the offset of the balanced-softmax / logit-adjusted
 *   loss (Ren et al. 2020; Menon et al. 2021) and of post-hoc logit adjustment.
 * - `tauNormalize`: Kang et al.'s τ-normalisation of a classifier, W_c / ‖W_c‖^τ.
 *
 * @example
 *   const keep = longTailSubset(labels, { numClasses: 100, imbalance: 10, seed: 0 });
 */
import { Rng } from '../data/random.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface LongTailOptions {
  numClasses: number;
  /** n_max / n_min (default 10). */
  imbalance?: number;
  seed?: number;
}

/** Indices of the kept samples (ascending), and the class counts after. */
export function longTailSubset(labels: ArrayLike<number>, options: LongTailOptions): { indices: number[]; counts: number[]; rankOfClass: number[] } {
  const { numClasses } = options;
  const rho = options.imbalance ?? 10;
  if (!(rho >= 1)) throw new RangeError(`imbalance factor must be >= 1, got ${rho}`);
  if (numClasses < 2) throw new RangeError('a long tail needs at least 2 classes');
  const rng = new Rng(options.seed ?? 0, 'long-tail');
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(y >= 0 && y < numClasses)) throw new RangeError(`label ${y} outside [0, ${numClasses})`);
    byClass[y]!.push(i);
  }
  const nMax = Math.max(...byClass.map((c) => c.length));
  const order = rng.permutation(numClasses); // order[r] = class of rank r
  const rankOfClass = new Array<number>(numClasses);
  order.forEach((c, r) => (rankOfClass[c] = r));
  const indices: number[] = [];
  const counts = new Array<number>(numClasses).fill(0);
  for (let c = 0; c < numClasses; c++) {
    const want = Math.max(1, Math.round(nMax * rho ** (-rankOfClass[c]! / (numClasses - 1))));
    const ids = byClass[c]!;
    const perm = rng.permutation(ids.length);
    const keep = perm.slice(0, Math.min(want, ids.length)).map((p) => ids[p]!);
    counts[c] = keep.length;
    indices.push(...keep);
  }
  indices.sort((a, b) => a - b);
  return { indices, counts, rankOfClass };
}

/** log(n_c / N) per class (classes without images get log(0.5 / N), finite). */
export function logPriors(counts: readonly number[]): Float32Array {
  const total = counts.reduce((a, b) => a + b, 0);
  return Float32Array.from(counts, (n) => Math.log(Math.max(n, 0.5) / total));
}

/** W_c / ‖W_c‖^τ row by row (τ = 1: unit-norm rows); a new tensor. */
export function tauNormalize(weight: Tensor, tau = 1): Tensor {
  return scope(() => weight.div(weight.norm(2, 1, true).clamp(1e-12).pow(tau)));
}
