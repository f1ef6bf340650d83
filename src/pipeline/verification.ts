/**
 * The verification decision: does a photo show the class it claims (a listing's photo
 * against the series it names)? From the claimed class's probability and rank, the
 * open-world verdict and the photo's quality:
 *
 * - `uncertain` when the photo is of poor quality (dark, overexposed, blurry, low contrast or
 *   resolution) or looks like none of the known classes (the unknown verdict): the model's
 *   opinion is not to be trusted either way;
 * - `match` when the claimed class ranks within `matchMaxRank` (default 1: it is the top
 *   prediction) with probability at least `matchMinScore` (default 0.3);
 * - `mismatch` when the claimed class's probability is at most `mismatchMaxScore` (default
 *   0.1) and another class is preferred;
 * - `uncertain` in between (the claim is plausible but not clearly supported).
 *
 * @example
 *   decideVerification({ claimed, rank: 1, score: 0.8, top, unknown, quality }); // { decision: 'match', reason: ... }
 */
import type { UnknownVerdict } from '../open-world/calibration.js';
import type { QualityReport } from '../open-world/quality.js';

/** The verification rule's answer (see the rule above). */
export type VerificationDecision = 'match' | 'mismatch' | 'uncertain';

/** The verification rule's thresholds (defaults: DEFAULT_VERIFICATION_THRESHOLDS). */
export interface VerificationThresholds {
  /** The claimed class must rank at least this high for a match (1 = top prediction). */
  matchMaxRank: number;
  /** ... with at least this probability. */
  matchMinScore: number;
  /** At most this probability (and not top) is a mismatch. */
  mismatchMaxScore: number;
  /** Poor photo quality makes the answer uncertain (default true). */
  uncertainOnPoorQuality: boolean;
}

export const DEFAULT_VERIFICATION_THRESHOLDS: VerificationThresholds = {
  matchMaxRank: 1,
  matchMinScore: 0.3,
  mismatchMaxScore: 0.1,
  uncertainOnPoorQuality: true,
};

export interface VerificationEvidence {
  claimed: string;
  /** 1-based rank of the claimed class among all classes. */
  rank: number;
  score: number;
  /** The best class and its probability. */
  top: { label: string; score: number };
  unknown: UnknownVerdict;
  quality: QualityReport;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export function decideVerification(
  e: VerificationEvidence,
  t: VerificationThresholds = DEFAULT_VERIFICATION_THRESHOLDS,
): { decision: VerificationDecision; reason: string } {
  if (t.uncertainOnPoorQuality && !e.quality.ok)
    return { decision: 'uncertain', reason: `the photo is of poor quality (${e.quality.issues.join(', ')}); take another photo` };
  if (e.unknown.isUnknown)
    return {
      decision: 'uncertain',
      reason: `the photo looks like none of the known classes (${e.unknown.method} score ${e.unknown.score.toFixed(3)} against threshold ${e.unknown.threshold.toFixed(3)})`,
    };
  if (e.rank <= t.matchMaxRank && e.score >= t.matchMinScore) {
    return {
      decision: 'match',
      reason: e.rank === 1 ? `'${e.claimed}' is the top prediction (${pct(e.score)})` : `'${e.claimed}' ranks ${e.rank} with ${pct(e.score)}`,
    };
  }
  if (e.score <= t.mismatchMaxScore && e.rank > 1) {
    return {
      decision: 'mismatch',
      reason: `the photo looks like '${e.top.label}' (${pct(e.top.score)}); '${e.claimed}' scores ${pct(e.score)} (rank ${e.rank})`,
    };
  }
  return {
    decision: 'uncertain',
    reason: `'${e.claimed}' is plausible but not clearly supported: ${pct(e.score)}, rank ${e.rank}; the top prediction is '${e.top.label}' (${pct(e.top.score)})`,
  };
}
