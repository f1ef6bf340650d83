/**
 * Expected calibration error (Guo et al. 2017, Naeini et al. 2015): top-1 confidences in
 * `bins` equal-width bins over [0, 1] (15 by default, as Guo et al.), ECE = Σ_b (n_b / N) ·
 * |accuracy_b − confidence_b|. `reliabilityBins` returns the bins themselves for the
 * reliability diagram. `eceNoiseFloor` says how far from 0 a perfectly calibrated model's ECE
 * lands on a test set of that size: with 449 test images ~45 share a bin, and their accuracy
 * alone scatters by several points around any confidence.
 *
 * @example
 *   ece([1, 1], [true, true]); // 0
 *   eceNoiseFloor(new Float32Array(400).fill(0.5)).mean; // ≈ 0.02 = 0.5·sqrt(2/(π·400))
 */
import { Rng } from '../../data/random.js';
/** One bin of a reliability diagram: the predictions whose confidence falls in (lo, hi]. */
export interface ReliabilityBin {
  /** Lower edge of the bin's confidence range (exclusive, except 0 for the first bin). */
  lo: number;
  /** Upper edge of the bin's confidence range (inclusive). */
  hi: number;
  /** Predictions in the bin. */
  count: number;
  /** Mean confidence and accuracy of the bin (NaN when empty). */
  confidence: number;
  /** Share of the bin's predictions that were right (NaN when empty). */
  accuracy: number;
}

/** Bins of `ece` and `reliabilityBins` unless told otherwise (Guo et al.'s 15). */
export const ECE_BINS = 15;

/** The equal-width confidence bins of a reliability diagram, with each bin's count, mean confidence and accuracy. */
export function reliabilityBins(confidences: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = ECE_BINS): ReliabilityBin[] {
  if (confidences.length !== correct.length) throw new RangeError(`ece: ${confidences.length} confidences, ${correct.length} outcomes`);
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: 0, confidence: 0, accuracy: 0 }));
  for (let i = 0; i < confidences.length; i++) {
    const c = confidences[i]!;
    // Bins are (lo, hi]; a confidence of exactly 0 goes to the first.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    out[b]!.count++;
    out[b]!.confidence += c;
    out[b]!.accuracy += correct[i] ? 1 : 0;
  }
  for (const b of out) {
    b.confidence = b.count ? b.confidence / b.count : NaN;
    b.accuracy = b.count ? b.accuracy / b.count : NaN;
  }
  return out;
}

/**
 * Expected calibration error of top-1 `confidences` against whether each prediction was
 * `correct`: Σ (n_b / N) · |accuracy_b − confidence_b| over `bins` equal-width bins.
 *
 * @example
 *   ece([0.9, 0.6], [true, false]); // 0.35
 */
export function ece(confidences: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = ECE_BINS): number {
  const n = confidences.length;
  if (!n) throw new RangeError('ece of no predictions');
  let sum = 0;
  for (const b of reliabilityBins(confidences, correct, bins)) if (b.count) sum += (b.count / n) * Math.abs(b.accuracy - b.confidence);
  return sum;
}

/**
 * The ECE a perfectly calibrated model would show with these confidences: each outcome drawn
 * as correct with probability equal to its confidence, `draws` times (seeded); the mean and
 * the 95th percentile of those ECEs. A measured ECE within this range is as calibrated as the
 * test set can tell.
 */
export function eceNoiseFloor(confidences: ArrayLike<number>, options: { bins?: number; draws?: number; seed?: number } = {}): { mean: number; p95: number } {
  const draws = options.draws ?? 200;
  const rng = new Rng(options.seed ?? 0, 'ece-noise-floor');
  const outcome = new Uint8Array(confidences.length);
  const values: number[] = [];
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < confidences.length; i++) outcome[i] = rng.next() < confidences[i]! ? 1 : 0;
    values.push(ece(confidences, outcome, options.bins));
  }
  values.sort((a, b) => a - b);
  return { mean: values.reduce((a, b) => a + b, 0) / draws, p95: values[Math.min(draws - 1, Math.floor(0.95 * draws))]! };
}
