/**
 * One suggested photo as `suggest` returns it and its CSV lists it: a ranked row
 * (rank-suggestions.ts) with paths and class names in place of indices.
 *
 * @example
 *   const s = toSuggestion(rankedRow, paths, classes);
 *   s; // { rank: 1, path: '/photos/x.jpg', predictedClass: 'Gadwall', confidence: 0.41, ..., duplicates: [] }
 */
import type { RankedRow } from './rank-suggestions.js';

/** A photo to label, with why it was chosen. */
export interface Suggestion {
  /** 1 = label first (the order k-center greedy picked it). */
  rank: number;
  /** The photo. */
  path: string;
  /** The model's answer (a pre-fill for the labeller, not a label). */
  predictedClass: string;
  /** Its calibrated probability. */
  confidence: number;
  /** The runner-up class ('' with one class). */
  runnerUp: string;
  /** Calibrated p₁ − p₂. */
  margin: number;
  /** Entropy of the calibrated probabilities, in nats. */
  entropy: number;
  /** Distance to the nearest earlier suggestion or labelled photo in the L2-normalised embedding space, in [0, 2] (null: the first pick with no labelled photos). */
  distance: number | null;
  /** Its near-duplicates, which it stands for (not suggested themselves). */
  duplicates: string[];
}

/** A ranked row with its photo's path and class names. */
export function toSuggestion(r: RankedRow, paths: readonly string[], classes: readonly string[]): Suggestion {
  return {
    rank: r.rank,
    path: paths[r.row]!,
    predictedClass: classes[r.predicted]!,
    confidence: r.confidence,
    runnerUp: r.runnerUp < 0 ? '' : classes[r.runnerUp]!,
    margin: r.margin,
    entropy: r.entropy,
    distance: Number.isFinite(r.distance) ? r.distance : null,
    duplicates: r.duplicates.map((d) => paths[d]!),
  };
}
