/**
 * The threshold that lets a chosen fraction of in-distribution scores pass (score >= t):
 * the largest t for which at least ceil(rate · n) of the scores are >= t.
 *
 * @example
 *   thresholdAtPassRate([1, 2, 3, 4], 0.75); // 2
 */
export function thresholdAtPassRate(scores: ArrayLike<number>, rate: number): number {
  const n = scores.length;
  if (!n) throw new RangeError('thresholdAtPassRate: no scores');
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`pass rate must be in (0, 1], got ${rate}`);
  const sorted = Float64Array.from(scores).sort().reverse();
  const keep = Math.max(1, Math.ceil(rate * n - 1e-9));
  return sorted[keep - 1]!;
}
