/**
 * How the deepest-confident answer fares with given thresholds, and the curve over `maxError`
 * that shows what a stricter promise costs: for each maxError, thresholds fitted on validation
 * rows, then the share of images answered down to the full series (the leaf level), the share
 * answered at some level, and the share of those answers wrong at the level they claim.
 *
 * Per-level error bounds do not add up to exactly `maxError` for the answers as a whole (an
 * answer claims the model when it is confident there but not at the series), which is why the
 * curve reports the realised share wrong rather than assuming it. Measure on other images than
 * the thresholds were fitted on (`measureOn`) for an honest curve.
 *
 * @example
 *   for (const p of coverageCurve(h, valProbs, valLabels, { measureOn: { probRows: testProbs, labels: testLabels } }))
 *     console.log(p.maxError, p.confidentShare.at(-1), p.wrongShare);
 */
import type { ClassHierarchy } from './class-hierarchy.js';
import { answerRows, type AnsweredRow } from './labelled-rows.js';
import { checkThresholds, type LevelThresholds } from './scores.js';
import { fitOnAnswers, type ThresholdFitOptions } from './thresholds.js';

/** How the answers of a labelled set fare with given thresholds; shares are fractions of the images (NaN for none). */
export interface AnswerCoverage {
  /** Images measured. */
  images: number;
  /** Per level: the share of images whose answer is confident at least down to it (the last: answered at the full series). */
  confidentShare: number[];
  /** The share of images whose answer claims some level (confident at the top level). */
  claimedShare: number;
  /** Of the answers that claim a level, the share wrong at the level they claim. */
  wrongShare: number;
}

/** One point of the coverage curve: the thresholds one maxError gives and how they fare. */
export interface CoveragePoint extends AnswerCoverage {
  /** The maxError the thresholds were fitted for. */
  maxError: number;
  /** The thresholds fitted. */
  thresholds: LevelThresholds;
}

/** Options of `coverageCurve`: the sweep, the fit's z, and the rows to measure on. */
export interface CoverageCurveOptions extends Pick<ThresholdFitOptions, 'z'> {
  /** The maxError values swept (default 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2). */
  maxErrors?: readonly number[];
  /** Rows to measure on (default: the rows the thresholds are fitted on, which flatters them). */
  measureOn?: LabelledRows;
}

/** Rows of class probabilities with their true classes (e.g. a test set's). */
export interface LabelledRows {
  /** One row of class probabilities per image. */
  probRows: readonly ArrayLike<number>[];
  /** The true class index of every image. */
  labels: ArrayLike<number>;
}

/** The maxError values `coverageCurve` sweeps by default. */
export const DEFAULT_MAX_ERRORS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2] as const;

/**
 * How the deepest-confident answers of a labelled set fare with these thresholds.
 *
 * @example
 *   answerCoverage(h, testProbs, testLabels, thresholds).wrongShare; // 0.021
 */
export function answerCoverage(
  hierarchy: ClassHierarchy,
  probRows: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  thresholds: LevelThresholds,
): AnswerCoverage {
  checkThresholds(hierarchy, thresholds);
  return coverageOfAnswers(hierarchy, answerRows(hierarchy, probRows, labels), thresholds);
}

/**
 * Fits thresholds for every maxError of the sweep on these rows and measures them (on
 * `measureOn` when given).
 *
 * @example
 *   coverageCurve(h, valProbs, valLabels).map((p) => [p.maxError, p.confidentShare[2], p.wrongShare]);
 */
export function coverageCurve(
  hierarchy: ClassHierarchy,
  probRows: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: CoverageCurveOptions = {},
): CoveragePoint[] {
  const fitRows = answerRows(hierarchy, probRows, labels);
  const measureRows = options.measureOn ? answerRows(hierarchy, options.measureOn.probRows, options.measureOn.labels) : fitRows;
  return (options.maxErrors ?? DEFAULT_MAX_ERRORS).map((maxError) => {
    const { thresholds } = fitOnAnswers(hierarchy, fitRows, { maxError, ...(options.z !== undefined && { z: options.z }) });
    return { maxError, thresholds, ...coverageOfAnswers(hierarchy, measureRows, thresholds) };
  });
}

function coverageOfAnswers(hierarchy: ClassHierarchy, rows: readonly AnsweredRow[], thresholds: LevelThresholds): AnswerCoverage {
  const confident = new Array<number>(hierarchy.depth).fill(0);
  let wrong = 0;
  for (const r of rows) {
    let deepest = -1;
    while (deepest + 1 < hierarchy.depth && r.pathScores[deepest + 1]! >= thresholds[deepest + 1]!) confident[++deepest]!++;
    if (deepest >= 0 && !r.right[deepest]) wrong++;
  }
  const n = rows.length;
  return { images: n, confidentShare: confident.map((c) => c / n), claimedShare: confident[0]! / n, wrongShare: wrong / confident[0]! };
}

/**
 * The curve as a table for people, one row per maxError.
 *
 * @example
 *   console.log(formatCoverageCurve(coverageCurve(h, valProbs, valLabels), h.levels));
 */
export function formatCoverageCurve(points: readonly CoveragePoint[], levels: readonly string[]): string {
  const pct = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)} %`);
  const head = ['maxError', ...levels.map((l) => `to ${l}`), 'claimed', 'wrong', 'thresholds'];
  const rows = points.map((p) => [
    pct(p.maxError),
    ...p.confidentShare.map(pct),
    pct(p.claimedShare),
    pct(p.wrongShare),
    p.thresholds.map((t) => (Number.isFinite(t) ? t.toFixed(3) : 'never')).join(' / '),
  ]);
  return [head, ...rows].map((r) => r.join('\t')).join('\n');
}
