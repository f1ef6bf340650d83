/**
 * Per-level thresholds fitted on validation data, like the unknown threshold: how sure the
 * answer must be at a level before it claims that level.
 *
 * The rule, level by level top-down: among the validation images confident at every level
 * above (the only ones a threshold at this level is ever applied to), take the smallest
 * threshold t such that the images whose answer at this level scores ≥ t are wrong at this
 * level at a rate of at most `maxError`. Candidate thresholds are the observed scores; t is the
 * score of the last image admitted.
 *
 * Small samples: the error rate must hold for the upper end of its Wilson score interval (z =
 * 1.645 by default, a one-sided 95 % bound), not merely for the observed rate. A few lucky
 * images then cannot set a low threshold: with no error at all, 88 images are needed before a
 * 3 % bound is met, 39 at 6.5 %. A bound rather than a minimum count because it weighs the
 * errors too (100 images with 1 error pass at z = 1, not at z = 1.645) and because the
 * promise made to users ("at most 3 % wrong at the level claimed") is about new photos, not
 * the validation set. `z: 0` gives the observed rate. When no threshold meets the bound, the
 * level's threshold is `Infinity`: the level, and every level below it, is never confident.
 *
 * @example
 *   const fit = fitLevelThresholds(h, valProbs, valLabels, { maxError: 0.03 });
 *   fit.thresholds; // [0.62, 0.81, Infinity]: series never claimed with this little data
 */
import type { ClassHierarchy } from './class-hierarchy.js';
import { HierarchyError } from './errors.js';
import { answerRows, type AnsweredRow } from './labelled-rows.js';
import type { LevelThresholds } from './scores.js';

/** Options of `fitLevelThresholds`. */
export interface ThresholdFitOptions {
  /** The largest error rate allowed at each level among the images confident there (default 0.03). */
  maxError?: number;
  /** The Wilson interval's z for the error rate's upper bound (default 1.645, one-sided 95 %; 0: the observed rate). */
  z?: number;
}

/** What `fitLevelThresholds` found, per level. */
export interface LevelThresholdFit {
  /** One threshold per level (Infinity: never confident). */
  thresholds: LevelThresholds;
  /** The maxError it was fitted for. */
  maxError: number;
  /** The Wilson z it was fitted with. */
  z: number;
  /** Per level: the validation images it was fitted on and how the confident ones fared. */
  levels: {
    /** The level's name. */
    level: string;
    /** Its threshold. */
    threshold: number;
    /** Validation images confident at every level above (the candidates). */
    candidates: number;
    /** Of those, the images whose score here reaches the threshold. */
    confident: number;
    /** Of those, the ones wrong at this level. */
    wrong: number;
  }[];
}

/** The default largest error rate at a level among the images confident there: 3 %. */
export const DEFAULT_MAX_ERROR = 0.03;
/** The default z of the error rate's Wilson upper bound: one-sided 95 %. */
export const DEFAULT_WILSON_Z = 1.645;

/**
 * Fits one threshold per level on validation rows of class probabilities and their true
 * classes (see the module comment for the rule).
 *
 * @example
 *   fitLevelThresholds(h, probRows, labels, { maxError: 0.05, z: 1 }).thresholds;
 */
export function fitLevelThresholds(
  hierarchy: ClassHierarchy,
  probRows: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: ThresholdFitOptions = {},
): LevelThresholdFit {
  return fitOnAnswers(hierarchy, answerRows(hierarchy, probRows, labels), options);
}

/** `fitLevelThresholds` on rows already answered (the coverage curve fits many times on the same rows). */
export function fitOnAnswers(hierarchy: ClassHierarchy, rows: readonly AnsweredRow[], options: ThresholdFitOptions = {}): LevelThresholdFit {
  const maxError = options.maxError ?? DEFAULT_MAX_ERROR;
  const z = options.z ?? DEFAULT_WILSON_Z;
  if (!(maxError > 0 && maxError < 1)) throw new HierarchyError(`maxError must lie in (0, 1), got ${maxError}`);
  if (!(z >= 0 && Number.isFinite(z))) throw new HierarchyError(`z must be a finite number ≥ 0, got ${z}`);
  let candidates = [...rows];
  const levels = hierarchy.levels.map((level, l) => {
    const threshold = smallestThreshold(
      candidates.map((r) => ({ score: r.pathScores[l]!, wrong: !r.right[l] })),
      maxError,
      z,
    );
    const before = candidates.length;
    candidates = candidates.filter((r) => r.pathScores[l]! >= threshold);
    return { level, threshold, candidates: before, confident: candidates.length, wrong: candidates.filter((r) => !r.right[l]).length };
  });
  return { thresholds: levels.map((l) => l.threshold), maxError, z, levels };
}

/** The smallest observed score t whose set {score ≥ t} has an error bound ≤ maxError; Infinity when none has. */
function smallestThreshold(items: { score: number; wrong: boolean }[], maxError: number, z: number): number {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let best = Infinity;
  let wrong = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.wrong) wrong++;
    // Only between distinct scores: a threshold admits every image of its score.
    if (i + 1 < sorted.length && sorted[i + 1]!.score === sorted[i]!.score) continue;
    if (wilsonUpper(wrong, i + 1, z) <= maxError) best = sorted[i]!.score;
  }
  return best;
}

/**
 * The upper end of the Wilson score interval of a rate of `k` in `n` (z = 0: k / n).
 *
 * @example
 *   wilsonUpper(0, 88, 1.645); // 0.0298
 */
export function wilsonUpper(k: number, n: number, z: number): number {
  if (n <= 0) return 1;
  const p = k / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}
