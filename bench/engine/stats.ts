/**
 * Summaries of timing samples. Medians and quartiles rather than means: on a shared, noisy
 * machine a few slow samples (another job, a GC pause) would drag a mean but not a median.
 *
 * @example
 *   summarize([12.1, 11.9, 30.2, 12.0]).median; // 12.05
 */

export interface Summary {
  median: number;
  /** 25th and 75th percentiles: the spread a reader should trust the median within. */
  p25: number;
  p75: number;
  min: number;
  max: number;
  count: number;
}

/** The q-quantile (0..1) of `values`, interpolating between neighbours. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Median, quartiles and range of a set of samples.
 * @example summarize([3, 1, 2]).median // 2
 */
export function summarize(values: readonly number[]): Summary {
  return {
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
    count: values.length,
  };
}

/**
 * Ratios of paired blocks (the same round, run back to back): drift in the machine's load
 * hits both members of a pair alike, so their ratio is steadier than a ratio of two medians
 * taken over the whole run.
 * @example pairedRatios([2, 4], [1, 2]) // [2, 2]
 */
export function pairedRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  const n = Math.min(numerators.length, denominators.length);
  return Array.from({ length: n }, (_, i) => numerators[i]! / denominators[i]!);
}
