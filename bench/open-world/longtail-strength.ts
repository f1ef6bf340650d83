/**
 * The strength of the post-hoc long-tail remedies, chosen without the test set and without a
 * balanced validation split (a 3-image class cannot spare one): k-fold cross-validation on the
 * long-tailed training embeddings. Each fold's held-out images are scored by a linear head
 * trained on the other folds, with that head's own class priors; every candidate τ is scored by
 * the balanced accuracy (mean per-class accuracy) of all held-out predictions pooled.
 *   - post-hoc logit adjustment: argmax(logits − τ · log n_c / N)   (Menon et al. 2021)
 *   - τ-normalisation: argmax(x · (W_c / ‖W_c‖^τ))                   (Kang et al. 2020)
 *
 * Two rules choose τ from the held-out predictions: the highest balanced accuracy
 * (`balancedChoice`), or the strongest τ that keeps the many-shot classes' held-out accuracy
 * within a stated budget of the unadjusted head's (`budgetedChoice`: the goal's "at most 3
 * points lost on many-shot classes", decided on training data).
 *
 * @example
 *   const held = crossValidatedPredictions(x, labels, 100, { folds: 3, steps: 300 });
 *   budgetedChoice(held, 'logitAdjustment', (y) => counts[y] >= 15, 0.03).best; // e.g. 1.1
 */
import { chooseByBalancedAccuracy, logPriors, stratifiedFolds, tauNormalize } from '../../src/open-world/long-tail.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { headLogits, trainLinearHead } from './heads.js';

/** Candidate strengths: 0 to 3 by 0.1. */
export const STRENGTHS = Array.from({ length: 31 }, (_, i) => Math.round(i * 10) / 100);

export interface StrengthChoice {
  best: number;
  /** What the rule scored, one per entry of `candidates`: held-out balanced accuracy
   * (`balancedChoice`) or held-out accuracy on the protected classes (`budgetedChoice`). */
  scores: number[];
  candidates: number[];
}

/** Row-wise argmax of a [n, c] tensor, as numbers. */
const argmax = (t: Tensor): number[] => Array.from(t.argmax(1).toTypedArray() as BigInt64Array, Number);

/** argmax(logits − τ · priors). */
export function adjustedPredictions(logits: Tensor, priors: Tensor, tau: number): number[] {
  return scope(() => argmax(logits.sub(priors, tau)));
}

/** argmax(x · τ-normalised W) (no bias, as Kang et al.). */
export function tauNormPredictions(x: Tensor, weight: Tensor, tau: number): number[] {
  return scope(() => argmax(x.mm(tauNormalize(weight, tau).t())));
}

/** Held-out predictions of every candidate τ, pooled over the folds. */
export interface HeldOutPredictions {
  /** Labels of the held-out samples, in the order of every prediction list. */
  labels: number[];
  candidates: number[];
  /** [candidate][sample] */
  logitAdjustment: number[][];
  tauNormalisation: number[][];
}

export interface CrossValidationOptions {
  folds?: number;
  steps?: number;
  seed?: number;
  candidates?: number[];
  /** More training rows per image (augmented views), each aligned with `x`: a fold's head
   * trains on every view of its training images. */
  trainViews?: readonly Float32Array[];
  /** What a held-out image is scored on, aligned with `x` (e.g. the mean of it and its
   * mirror image, the test-time augmentation); default `x`. */
  heldOut?: Float32Array;
}

export function crossValidatedPredictions(
  x: Float32Array,
  labels: readonly number[],
  numClasses: number,
  options: CrossValidationOptions = {},
): HeldOutPredictions {
  const k = options.folds ?? 3;
  const candidates = options.candidates ?? STRENGTHS;
  const d = x.length / labels.length;
  const fold = stratifiedFolds(labels, k, options.seed ?? 0);
  const heldLabels: number[] = [];
  const la: number[][] = candidates.map(() => []);
  const tn: number[][] = candidates.map(() => []);
  for (let f = 0; f < k; f++) {
    const trainIdx = labels.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const heldIdx = labels.flatMap((_, i) => (fold[i] === f ? [i] : []));
    const rows = (sources: readonly Float32Array[], idx: number[]) => {
      const out = new Float32Array(sources.length * idx.length * d);
      sources.forEach((src, v) => idx.forEach((j, r) => out.set(src.subarray(j * d, (j + 1) * d), (v * idx.length + r) * d)));
      return fromTypedArray(out, [sources.length * idx.length, d]);
    };
    // A held-out image's views never train its fold's head: folds split images, not rows.
    const trainSources = [x, ...(options.trainViews ?? [])];
    const xt = rows(trainSources, trainIdx);
    const xh = rows([options.heldOut ?? x], heldIdx);
    const yt = trainSources.flatMap(() => trainIdx.map((i) => labels[i]!));
    // Priors count images, not views: every image has the same number of views.
    const counts = new Array<number>(numClasses).fill(0);
    for (const i of trainIdx) counts[labels[i]!]!++;
    const head = trainLinearHead(xt, yt, numClasses, { steps: options.steps });
    const logits = headLogits(head, xh);
    const priors = fromTypedArray(logPriors(counts), [numClasses]);
    candidates.forEach((tau, c) => {
      la[c]!.push(...adjustedPredictions(logits, priors, tau));
      tn[c]!.push(...tauNormPredictions(xh, head.weight, tau));
    });
    heldLabels.push(...heldIdx.map((i) => labels[i]!));
    for (const t of [logits, priors, xt, xh]) t.dispose();
    head.dispose();
  }
  return { labels: heldLabels, candidates, logitAdjustment: la, tauNormalisation: tn };
}

/** The τ of the highest held-out balanced accuracy. */
export function balancedChoice(held: HeldOutPredictions, method: 'logitAdjustment' | 'tauNormalisation'): StrengthChoice {
  const { best, scores } = chooseByBalancedAccuracy(
    held.candidates.map((_, i) => i),
    (i) => held[method][i]!,
    held.labels,
  );
  return { best: held.candidates[best]!, scores, candidates: held.candidates };
}

/**
 * The strongest τ whose held-out accuracy on the classes `protect` selects (the many-shot ones)
 * stays within `budget` (a fraction: 0.03 = 3 points) of τ = 0's: the operating point a user
 * states as "help the rare classes, but lose at most this much on the common ones".
 */
export function budgetedChoice(
  held: HeldOutPredictions,
  method: 'logitAdjustment' | 'tauNormalisation',
  protect: (label: number) => boolean,
  budget: number,
): StrengthChoice {
  const idx = held.labels.flatMap((y, i) => (protect(y) ? [i] : []));
  if (idx.length === 0) throw new RangeError('no held-out sample of a protected class');
  const accuracy = (preds: number[]) => idx.reduce((a, i) => a + (preds[i] === held.labels[i] ? 1 : 0), 0) / idx.length;
  const scores = held[method].map(accuracy);
  const unadjusted = held.candidates.indexOf(0);
  if (unadjusted < 0) throw new RangeError('the candidates must include τ = 0, the unadjusted head the budget is measured from');
  const base = scores[unadjusted]!;
  let best = 0;
  held.candidates.forEach((tau, i) => {
    if (scores[i]! >= base - budget - 1e-12 && tau > held.candidates[best]!) best = i;
  });
  return { best: held.candidates[best]!, scores, candidates: held.candidates };
}
