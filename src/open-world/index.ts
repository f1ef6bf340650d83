/**
 * The open world, for programs: calibrate a checkpoint so its answers can say "unknown", read
 * a stored calibration, judge a photo's quality, and measure out-of-distribution detection and
 * calibration with the same functions `finegrain eval --ood` reports. Exported from
 * `finegrain` as the `openWorld` namespace, beside the top-level `calibrate`.
 *
 * @example
 *   import { calibrate, openWorld } from 'finegrain';
 *   await calibrate('runs/cars/checkpoints/best.safetensors');
 *   openWorld.auroc(inDistributionScores, unknownScores);   // 0.93
 *   openWorld.assessQuality({ data, width, height, channels: 3 }).ok;
 *
 * @module
 */
export { calibrate, type CalibrateOptions, type CalibrationSummary } from './calibrate-checkpoint.js';
export {
  loadCalibration,
  uncalibrated,
  calibrationPath,
  CalibrationError,
  FittedCalibration,
  type Calibration,
  type CalibrationInfo,
  type UnknownVerdict,
} from './calibration.js';
export { OOD_SCORES, OOD_SCORE_DESCRIPTIONS, type OodScoreName, type OodStats } from './ood/score.js';
export {
  assessQuality,
  qualityMeasures,
  qualityIssues,
  DEFAULT_QUALITY_THRESHOLDS,
  QUALITY_ISSUES,
  type QualityIssue,
  type QualityMeasures,
  type QualityReport,
  type QualityThresholds,
  type RawImage,
} from './quality.js';
export { auroc } from './metrics/auroc.js';
export { auprIn, auprOut, averagePrecision } from './metrics/aupr.js';
export { fprAtTpr } from './metrics/fpr-at-tpr.js';
export { ece, reliabilityBins, ECE_BINS, type ReliabilityBin } from './metrics/ece.js';
export { calibrationErrorEstimate, type CalibrationErrorEstimate, type DebiasOptions } from './metrics/debiased-ece.js';
export { thresholdAtPassRate } from './metrics/threshold.js';
export { fitTemperature } from './temperature.js';
export { balancedAccuracy, longTailSubset, type LongTailOptions } from './long-tail.js';
