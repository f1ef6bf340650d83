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
 * - `stratifiedFolds`, `balancedAccuracy`, `chooseByBalancedAccuracy`: choosing a remedy's
 *   strength (the τ of either) without a balanced validation split, which a 3-image class
 *   cannot spare: k-fold cross-validation on the long-tailed training set itself, scored by
 *   the mean per-class accuracy (the balanced error Menon et al. tune their τ for), so a
 *   3-image class weighs as much as a 30-image one.
 *
 * @example
 *   const keep = longTailSubset(labels, { numClasses: 100, imbalance: 10, seed: 0 });
 */
import { Rng } from '../data/random.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of `longTailSubset`. */
export interface LongTailOptions {
  /** Classes in the labels (labels are 0 to numClasses - 1). */
  numClasses: number;
  /** n_max / n_min (default 10). */
  imbalance?: number;
  /** Seed of which class gets which rank and which images are kept (default 0). */
  seed?: number;
}

/** Indices of the kept samples (ascending), and the class counts after. */
export function longTailSubset(
  labels: ArrayLike<number>,
  options: LongTailOptions,
): {
  /** Indices into `labels` of the samples kept, ascending. */
  indices: number[];
  /** Samples kept per class. */
  counts: number[];
  /** Each class's rank in the profile: 0 keeps the most images, numClasses - 1 the fewest. */
  rankOfClass: number[];
} {
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

/**
 * A fold in [0, k) for every sample: each class's samples, in a seeded order, dealt round the
 * folds, so a class with at least k samples has one in every held-out fold.
 *
 * @example
 *   const fold = stratifiedFolds(labels, 3, 0); // hold out fold f: labels.filter((_, i) => fold[i] === f)
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed = 0): number[] {
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`folds must be an integer >= 2, got ${k}`);
  const rng = new Rng(seed, 'stratified-folds');
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) (byClass.get(labels[i]!) ?? byClass.set(labels[i]!, []).get(labels[i]!)!).push(i);
  const fold = new Array<number>(labels.length).fill(0);
  // Each class starts at a rotating fold, so the classes with fewer than k samples do not all
  // fall into the first folds.
  let start = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = byClass.get(c)!;
    rng.permutation(ids.length).forEach((p, j) => (fold[ids[p]!] = (start + j) % k));
    start = (start + ids.length) % k;
  }
  return fold;
}

/** Mean over the classes present in `labels` of the fraction of their samples predicted right. */
export function balancedAccuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length) throw new RangeError(`${predictions.length} predictions for ${labels.length} labels`);
  if (labels.length === 0) throw new RangeError('balanced accuracy of no samples');
  const right = new Map<number, [number, number]>();
  for (let i = 0; i < labels.length; i++) {
    const r = right.get(labels[i]!) ?? right.set(labels[i]!, [0, 0]).get(labels[i]!)!;
    r[0] += predictions[i] === labels[i] ? 1 : 0;
    r[1]++;
  }
  let sum = 0;
  for (const [ok, n] of right.values()) sum += ok / n;
  return sum / right.size;
}

/**
 * The candidate whose predictions score the highest balanced accuracy (the first on a tie),
 * with every candidate's score. `predict(candidate)` returns predictions for `labels`, e.g.
 * the argmax of held-out logits minus τ · log-priors for a candidate τ.
 *
 * @example
 *   const { best } = chooseByBalancedAccuracy([0, 0.5, 1, 1.5, 2], (tau) => adjustedArgmax(tau), heldOutLabels);
 */
export function chooseByBalancedAccuracy<T>(
  candidates: readonly T[],
  predict: (candidate: T) => ArrayLike<number>,
  labels: ArrayLike<number>,
): { best: T; scores: number[] } {
  if (candidates.length === 0) throw new RangeError('no candidates to choose from');
  const scores = candidates.map((c) => balancedAccuracy(predict(c), labels));
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return { best: candidates[best]!, scores };
}
