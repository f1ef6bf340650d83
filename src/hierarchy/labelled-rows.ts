/**
 * Rows of class probabilities with their true classes, as validation and evaluation take them,
 * answered once: every level's scores and the top-down path, so that fitting thresholds,
 * measuring coverage and evaluating read the same answers.
 *
 * @example
 *   const rows = answerRows(h, probRows, labels);
 *   rows[0].path;  // node index per level, top-down
 */
import type { ClassHierarchy } from './class-hierarchy.js';
import { HierarchyError } from './errors.js';
import { levelScores, topDownPath } from './scores.js';

/** One row answered: its scores per level, its top-down path and whether each level of it is right. */
export interface AnsweredRow {
  /** Every node's score, per level. */
  scores: Float64Array[];
  /** The top-down path's node index per level. */
  path: number[];
  /** The score of the path's node per level. */
  pathScores: number[];
  /** Whether the path's node is the true class's node, per level. */
  right: boolean[];
  /** The true class. */
  label: number;
}

/**
 * Answers every row; throws a HierarchyError when rows and labels differ in number or a label
 * is not a class index.
 *
 * @example
 *   answerRows(h, [[0.3, 0.25, 0.25, 0.2]], [1])[0].right; // [true, true]: BMW, BMW X
 */
export function answerRows(hierarchy: ClassHierarchy, probRows: readonly ArrayLike<number>[], labels: ArrayLike<number>): AnsweredRow[] {
  if (probRows.length !== labels.length) throw new HierarchyError(`${probRows.length} rows of probabilities but ${labels.length} labels`);
  return probRows.map((probs, i) => {
    const label = labels[i]!;
    const truth = hierarchy.leafPath[label];
    if (!Number.isInteger(label) || !truth) throw new HierarchyError(`label ${label} (row ${i}) is not a class index in 0..${hierarchy.classes.length - 1}`);
    const scores = levelScores(hierarchy, probs);
    const path = topDownPath(hierarchy, scores);
    return { scores, path, pathScores: path.map((n, l) => scores[l]![n]!), right: path.map((n, l) => n === truth[l]), label };
  });
}
