/**
 * Class hierarchies: the classes grouped into coarser levels (car series under models under
 * makes), answers with a score per level and the deepest level they are confident about,
 * per-level thresholds fitted on validation, claims verified at any level, and evaluation per
 * level. Exported from `finegrain` as the `hierarchy` namespace. Guide: docs/hierarchy.md.
 *
 * @example
 *   import { hierarchy } from 'finegrain';
 *   const h = hierarchy.hierarchyFromNames(classes, 'make-model-year');
 *   const { thresholds } = hierarchy.fitLevelThresholds(h, valProbs, valLabels, { maxError: 0.03 });
 *   hierarchy.hierarchicalAnswer(h, probs, thresholds).deepestConfident; // 1: sure of the model, not the year
 *
 * @module
 */
export { ClassHierarchy, type HierarchyNode, type HierarchyMapping, type NodeRef } from './class-hierarchy.js';
export { HierarchyError, UnknownClaimError } from './errors.js';
export { hierarchyFromNames, NAME_PATTERNS, type NamePattern, type NamePatternOptions } from './from-names.js';
export { hierarchyFromMapping } from './from-mapping.js';
export { hierarchyFromPaths } from './from-paths.js';
export { readHierarchyFile, csvMapping } from './read-file.js';
export { levelScores, hierarchicalAnswer, type LevelThresholds, type LevelAnswer, type HierarchicalAnswer } from './scores.js';
export { fitLevelThresholds, wilsonUpper, DEFAULT_MAX_ERROR, DEFAULT_WILSON_Z, type ThresholdFitOptions, type LevelThresholdFit } from './thresholds.js';
export {
  answerCoverage,
  coverageCurve,
  formatCoverageCurve,
  DEFAULT_MAX_ERRORS,
  type AnswerCoverage,
  type CoveragePoint,
  type CoverageCurveOptions,
  type LabelledRows,
} from './coverage.js';
export { verifyClaimAtLevel, findClaim, type ClaimDecision, type LevelVerification, type LevelVerifyOptions } from './verify.js';
export { hierarchicalEvaluation, formatHierarchicalEvaluation, type HierarchicalEvaluation } from './evaluation.js';
export { saveHierarchy, loadHierarchy, hierarchyPath, HIERARCHY_FORMAT, type HierarchySidecar, type StoredHierarchy } from './sidecar.js';
export { fitHierarchy, hierarchyFromSource, type FitHierarchyOptions, type HierarchyFitSummary } from './fit-checkpoint.js';
