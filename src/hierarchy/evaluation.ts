/**
 * Evaluation at every level of the hierarchy: how often the make, the model and the series are
 * right, and how wrong the wrong answers are.
 *
 * - `accuracy` per level: the level's most probable node (by summed scores, on its own) is the
 *   true one; `meanClassAccuracy` is the mean of that over the level's nodes that have images,
 *   so that a rare make counts as much as a common one;
 * - `topDownAccuracy` per level: the answer's top-down path (`hierarchicalAnswer`) is right at
 *   this level; it can differ from `accuracy` below the top level;
 * - `errors`: the top-1 class predictions that are wrong, counted by the first level where
 *   their path parts from the truth's: a wrong make, a right make with the wrong model, a right
 *   model with the wrong series (year or body).
 *
 * @example
 *   const ev = hierarchicalEvaluation(h, testProbs, testLabels);
 *   ev.levels.map((l) => l.accuracy);        // [0.97, 0.93, 0.89]
 *   ev.errors.map((e) => e.count);           // [12, 20, 17]: wrong make, wrong model, wrong series
 *   console.log(formatHierarchicalEvaluation(ev));
 */
import type { ClassHierarchy } from './class-hierarchy.js';
import { answerRows } from './labelled-rows.js';
import { argmax } from './scores.js';

/** What `hierarchicalEvaluation` measures; accuracies are fractions (NaN for an empty set). */
export interface HierarchicalEvaluation {
  /** Images evaluated. */
  images: number;
  /** Per level, top-down. */
  levels: {
    /** The level's name. */
    level: string;
    /** Share of images whose most probable node at this level is the true one. */
    accuracy: number;
    /** Mean over this level's nodes that have images of their accuracy. */
    meanClassAccuracy: number;
    /** Share of images whose top-down answer is right at this level. */
    topDownAccuracy: number;
  }[];
  /** Top-1 class predictions that are right. */
  correct: number;
  /** Wrong top-1 class predictions by the first level where they part from the truth, top-down. */
  errors: {
    /** The level where the predicted path first differs from the true one. */
    level: string;
    /** How many predictions. */
    count: number;
    /** Their share of all images. */
    share: number;
  }[];
}

/**
 * Evaluates rows of class probabilities against their true classes at every level.
 *
 * @example
 *   hierarchicalEvaluation(h, [[0.3, 0.25, 0.25, 0.2]], [1]).errors[1].count; // 1: right make, wrong class
 */
export function hierarchicalEvaluation(hierarchy: ClassHierarchy, probRows: readonly ArrayLike<number>[], labels: ArrayLike<number>): HierarchicalEvaluation {
  const rows = answerRows(hierarchy, probRows, labels);
  const n = rows.length;
  const firstWrong = new Array<number>(hierarchy.depth).fill(0);
  let correct = 0;
  const levels = hierarchy.levels.map((level, l) => {
    const nodes = hierarchy.nodes[l]!.map((_, i) => i);
    const images = new Array<number>(nodes.length).fill(0);
    const right = new Array<number>(nodes.length).fill(0);
    let topDown = 0;
    for (const r of rows) {
      const truth = hierarchy.leafPath[r.label]![l]!;
      images[truth]!++;
      if (argmax(r.scores[l]!, nodes) === truth) right[truth]!++;
      if (r.right[l]) topDown++;
    }
    const present = nodes.filter((i) => images[i]! > 0);
    return {
      level,
      accuracy: right.reduce((a, b) => a + b, 0) / n,
      meanClassAccuracy: present.reduce((a, i) => a + right[i]! / images[i]!, 0) / present.length,
      topDownAccuracy: topDown / n,
    };
  });
  const leafLevel = hierarchy.depth - 1;
  const classes = hierarchy.classes.map((_, i) => i);
  for (const r of rows) {
    const predicted = hierarchy.leafPath[argmax(r.scores[leafLevel]!, classes)]!;
    const truth = hierarchy.leafPath[r.label]!;
    const at = predicted.findIndex((node, l) => node !== truth[l]);
    if (at < 0) correct++;
    else firstWrong[at]!++;
  }
  return { images: n, levels, correct, errors: hierarchy.levels.map((level, l) => ({ level, count: firstWrong[l]!, share: firstWrong[l]! / n })) };
}

/**
 * The evaluation as lines for people: accuracies per level, then the errors by level
 * ("wrong model, right make").
 *
 * @example
 *   console.log(formatHierarchicalEvaluation(hierarchicalEvaluation(h, probs, labels)));
 */
export function formatHierarchicalEvaluation(ev: HierarchicalEvaluation): string {
  const pct = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)} %`);
  const lines = ev.levels.map(
    (l) => `${l.level}: accuracy ${pct(l.accuracy)}, mean class accuracy ${pct(l.meanClassAccuracy)}, top-down ${pct(l.topDownAccuracy)}`,
  );
  lines.push(`${ev.images} images, ${ev.correct} right at the ${ev.levels.at(-1)?.level ?? 'class'} level; wrong ones by the first level wrong:`);
  ev.errors.forEach((e, l) => lines.push(`  wrong ${e.level}${l ? `, right ${ev.errors[l - 1]!.level}` : ''}: ${e.count} (${pct(e.share)})`));
  return lines.join('\n');
}
