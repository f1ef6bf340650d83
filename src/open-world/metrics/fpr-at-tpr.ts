/**
 * False-positive rate at a true-positive rate (FPR95 at 0.95): the threshold is the score
 * that keeps `tpr` of the in-distribution rows (those scoring at or above it), and the result
 * is the fraction of out-of-distribution rows that also score at or above it.
 *
 * @example
 *   fprAtTpr([3, 4, 5], [0, 1, 2]); // 0 (a perfect separator)
 */
import { thresholdAtPassRate } from './threshold.js';

/** Share of `negatives` (OOD scores) at or above the score that keeps `tpr` of `positives` (in-distribution scores); FPR95 by default. */
export function fprAtTpr(positives: ArrayLike<number>, negatives: ArrayLike<number>, tpr = 0.95): number {
  if (!negatives.length) throw new RangeError('fprAtTpr: no negatives');
  const t = thresholdAtPassRate(positives, tpr);
  let fp = 0;
  for (let i = 0; i < negatives.length; i++) if (negatives[i]! >= t) fp++;
  return fp / negatives.length;
}
