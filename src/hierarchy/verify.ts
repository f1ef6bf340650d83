/**
 * Verification of a claim at any level: a listing may say "Audi", "Audi S4 Sedan" or the full
 * "Audi S4 Sedan 2012", and is judged at the level it names, from that node's summed
 * probability and the level thresholds. The rule, modelled on `decideVerification` with the
 * calibrated thresholds in place of fixed ones:
 *
 * - `match` when the hierarchical answer is confident down to the claim's level and names the
 *   claimed node there: exactly when a classification would claim it too;
 * - `mismatch` when the answer is confidently something else at the claim's level or above
 *   (confidently a BMW, against a claimed "Audi S4 Sedan"), or when the claimed node scores at
 *   most `mismatchMaxScore` (default 0.1) while another node of its level scores more;
 * - `uncertain` otherwise: the claim is plausible but not confidently supported.
 *
 * Photo quality and the unknown verdict are the caller's to check first, as the flat
 * verification does: a blurry photo or a stranger makes any of these answers `uncertain`.
 *
 * Claims are matched exactly first, then case-insensitively with runs of spaces collapsed,
 * then with spaces for the '/' of folder-path names ("audi s4 sedan" for "Audi/S4 Sedan"). A
 * claim that names nothing throws an UnknownClaimError listing the closest node names; one that
 * names several nodes inexactly ("audi" for both "Audi" and "AUDI") a HierarchyError.
 *
 * @example
 *   verifyClaimAtLevel(h, probs, 'audi', thresholds);          // { decision: 'match', level: 'make', score: 0.98, … }
 *   verifyClaimAtLevel(h, probs, 'Audi S4 Sedan 2012', thresholds).decision; // 'uncertain': Audi, but which year?
 */
import { closestClasses } from '../evaluation/closest-classes.js';
import type { ClassHierarchy, NodeRef } from './class-hierarchy.js';
import { HierarchyError, UnknownClaimError, listSome } from './errors.js';
import { checkThresholds, hierarchicalAnswer, levelScores, type HierarchicalAnswer, type LevelThresholds } from './scores.js';

/** The three answers a claim can get: the same words as the flat verification's. */
export type ClaimDecision = 'match' | 'mismatch' | 'uncertain';

/** The verdict on a claim at its level, with what it rests on. */
export interface LevelVerification {
  /** 'match', 'mismatch' or 'uncertain' (see the rule above). */
  decision: ClaimDecision;
  /** Why, in a sentence for people. */
  reason: string;
  /** The node the claim names, as the hierarchy spells it. */
  claimed: string;
  /** The claim's level name ('model'). */
  level: string;
  /** The claimed node's score: the summed probability of its classes. */
  score: number;
  /** Its 1-based rank among the nodes of its level. */
  rank: number;
  /** The level's threshold. */
  threshold: number;
  /** The hierarchical answer the decision was made against. */
  answer: HierarchicalAnswer;
}

/** Options of `verifyClaimAtLevel`. */
export interface LevelVerifyOptions {
  /** A claimed node scoring at most this while another node of its level scores more is a mismatch (default 0.1). */
  mismatchMaxScore?: number;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/**
 * Decides a claim at the level of the node it names (see the module comment).
 *
 * @example
 *   verifyClaimAtLevel(h, probs, 'BMW M3 Coupe', [0.9, 0.8, 0.8]).decision; // 'mismatch' for a photo of an Audi
 */
export function verifyClaimAtLevel(
  hierarchy: ClassHierarchy,
  probs: ArrayLike<number>,
  claim: string,
  thresholds: LevelThresholds,
  options: LevelVerifyOptions = {},
): LevelVerification {
  checkThresholds(hierarchy, thresholds);
  const { level, index } = findClaim(hierarchy, claim);
  const scores = levelScores(hierarchy, probs)[level]!;
  const answer = hierarchicalAnswer(hierarchy, probs, thresholds);
  const node = hierarchy.nodes[level]![index]!;
  const score = scores[index]!;
  const rank = 1 + Array.from(scores).filter((s) => s > score).length;
  const base = { claimed: node.name, level: hierarchy.levels[level]!, score, rank, threshold: thresholds[level]!, answer };
  const said = (l: number) => `'${answer.path[l]!.name}' (${pct(answer.path[l]!.score)})`;
  if (answer.deepestConfident >= level && answer.path[level]!.name === node.name)
    return { ...base, decision: 'match', reason: `the answer is confident down to the ${base.level}: ${said(level)}` };
  // The claim's node and its ancestors, top-down, against the confident part of the answer.
  const claimedPath = hierarchy.pathOf(node.leaves[0]!).slice(0, level + 1);
  const clash = claimedPath.findIndex((name, l) => l <= answer.deepestConfident && answer.path[l]!.name !== name);
  if (clash >= 0)
    return {
      ...base,
      decision: 'mismatch',
      reason: `the answer is confidently ${said(clash)} at the ${hierarchy.levels[clash]} level, not '${claimedPath[clash]}'`,
    };
  const top = Math.max(...scores);
  if (score <= (options.mismatchMaxScore ?? 0.1) && top > score)
    return {
      ...base,
      decision: 'mismatch',
      reason: `'${node.name}' scores ${pct(score)} (rank ${rank} of the ${base.level}s); the most likely scores ${pct(top)}`,
    };
  return {
    ...base,
    decision: 'uncertain',
    reason: `'${node.name}' is plausible but not confidently supported: ${pct(score)} (rank ${rank}) against the ${base.level} threshold ${Number.isFinite(base.threshold) ? pct(base.threshold) : '(never confident)'}`,
  };
}

/**
 * The node a claim names (see the matching rule above), or an UnknownClaimError.
 *
 * @example
 *   findClaim(h, 'audi s4 sedan'); // { level: 1, index: 3 }
 */
export function findClaim(hierarchy: ClassHierarchy, claim: string): NodeRef {
  const exact = hierarchy.nodeNamed(claim.trim());
  if (exact) return exact;
  const key = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const names = hierarchy.nodes.flatMap((level) => level.map((n) => n.name));
  const wanted = key(claim);
  let found = names.filter((n) => key(n) === wanted);
  if (!found.length) found = names.filter((n) => key(n.replaceAll('/', ' ')) === key(wanted.replaceAll('/', ' ')));
  if (found.length > 1) throw new HierarchyError(`the claim '${claim}' names several nodes (${listSome(found)}): spell it as one of them exactly`);
  if (!found.length) throw new UnknownClaimError(claim, closestClasses(claim, names, 5));
  return hierarchy.nodeNamed(found[0]!)!;
}
