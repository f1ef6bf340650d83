/**
 * Scores per level and the hierarchical answer. A group's score is the sum of its classes'
 * probabilities (so a parent's score is the sum of its children's): the probability that the
 * photo shows one of its classes. A photo the model hesitates about between "Audi S4 Sedan
 * 2007" and "Audi S4 Sedan 2012" is then still a confident "Audi S4 Sedan".
 *
 * The answer's path goes top-down: the most probable node of the top level, then its most
 * probable child, and so on. This differs from the path of the most probable class when the
 * probability is spread: with Audi A 0.30, BMW X 0.25, BMW Y 0.25, BMW Z 0.20, the most
 * probable class is Audi A, but the make is BMW at 0.70. Top-down, every level answers with
 * its most probable node given the levels above, so the make claimed is the most probable
 * make and the path never contradicts itself.
 *
 * A level is confident when its node's score reaches the level's threshold and every level
 * above is confident; the deepest confident level is what the answer claims (-1: nothing).
 *
 * @example
 *   const a = hierarchicalAnswer(h, probs, [0.9, 0.8, 0.7]);
 *   a.path;              // [{ level: 'make', name: 'BMW', score: 0.97, confident: true }, …]
 *   a.deepestConfident;  // 1: the answer claims the model, not the series
 */
import type { ClassHierarchy } from './class-hierarchy.js';
import { HierarchyError } from './errors.js';

/**
 * One threshold per level, top-down: a level is confident when its node's score is at least
 * its threshold. `Infinity` means the level is never confident (a level `fitLevelThresholds`
 * could not make reliable enough).
 */
export type LevelThresholds = readonly number[];

/** One level of a hierarchical answer. */
export interface LevelAnswer {
  /** The level's name ('make'). */
  level: string;
  /** The node answered at this level ('Audi'). */
  name: string;
  /** Its score: the summed probability of its classes. */
  score: number;
  /** Whether its score reaches the level's threshold and every level above is confident. */
  confident: boolean;
}

/** What `hierarchicalAnswer` gives: the top-down path and how deep it is confident. */
export interface HierarchicalAnswer {
  /** One entry per level, top-down, each node a child of the one before. */
  path: LevelAnswer[];
  /** Index of the deepest confident level; -1 when not even the top level is. */
  deepestConfident: number;
}

/**
 * Per level, the score of every node (in `hierarchy.nodes[level]` order): sums of the class
 * probabilities under it. The leaf level's scores are the probabilities themselves.
 *
 * @example
 *   levelScores(h, [0.3, 0.25, 0.25, 0.2])[0]; // Float64Array [0.3, 0.7]: Audi, BMW
 */
export function levelScores(hierarchy: ClassHierarchy, probs: ArrayLike<number>): Float64Array[] {
  checkProbabilities(hierarchy, probs);
  const scores = hierarchy.nodes.map((level) => new Float64Array(level.length));
  hierarchy.leafPath.forEach((path, leaf) => path.forEach((node, level) => (scores[level]![node]! += probs[leaf]!)));
  return scores;
}

/**
 * The top-down answer for one row of class probabilities (see the module comment).
 *
 * @example
 *   hierarchicalAnswer(h, [0.3, 0.25, 0.25, 0.2], [0.6, 0.6]).path.map((p) => p.name); // ['BMW', 'BMW X']
 */
export function hierarchicalAnswer(hierarchy: ClassHierarchy, probs: ArrayLike<number>, thresholds: LevelThresholds): HierarchicalAnswer {
  checkThresholds(hierarchy, thresholds);
  const scores = levelScores(hierarchy, probs);
  let confident = true;
  let deepestConfident = -1;
  const path = topDownPath(hierarchy, scores).map((node, level) => {
    const score = scores[level]![node]!;
    confident &&= score >= thresholds[level]!;
    if (confident) deepestConfident = level;
    return { level: hierarchy.levels[level]!, name: hierarchy.nodes[level]![node]!.name, score, confident };
  });
  return { path, deepestConfident };
}

/** The node index at every level of the top-down path: the best top node, then its best child, … (ties: the first). */
export function topDownPath(hierarchy: ClassHierarchy, scores: readonly Float64Array[]): number[] {
  const path = [
    argmax(
      scores[0]!,
      hierarchy.nodes[0]!.map((_, i) => i),
    ),
  ];
  for (let level = 1; level < hierarchy.depth; level++) {
    path.push(argmax(scores[level]!, hierarchy.nodes[level - 1]![path[level - 1]!]!.children));
  }
  return path;
}

/** The candidate with the highest score (the first of equals). */
export function argmax(scores: ArrayLike<number>, candidates: readonly number[]): number {
  let best = candidates[0]!;
  for (const c of candidates) if (scores[c]! > scores[best]!) best = c;
  return best;
}

/** Refuses a row that is not one probability per class (finite, non-negative, summing to at most 1): logits would give meaningless sums. */
export function checkProbabilities(hierarchy: ClassHierarchy, probs: ArrayLike<number>): void {
  if (probs.length !== hierarchy.classes.length)
    throw new HierarchyError(`a row of ${hierarchy.classes.length} class probabilities expected, got ${probs.length} values`);
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (!(p >= 0 && p <= 1)) throw new HierarchyError(`class probabilities must lie in [0, 1], got ${p} for '${hierarchy.classes[i]}' (logits? apply softmax)`);
    sum += p;
  }
  if (sum > 1 + 1e-3) throw new HierarchyError(`class probabilities must sum to at most 1, got ${sum} (logits? apply softmax)`);
}

/** Refuses thresholds that are not one number per level (Infinity allowed: never confident). */
export function checkThresholds(hierarchy: ClassHierarchy, thresholds: LevelThresholds): void {
  if (thresholds.length !== hierarchy.depth || thresholds.some((t) => typeof t !== 'number' || Number.isNaN(t)))
    throw new HierarchyError(`one threshold per level (${hierarchy.levels.join(', ')}) expected, got ${JSON.stringify(thresholds)}`);
}
