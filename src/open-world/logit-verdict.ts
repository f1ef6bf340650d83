/**
 * The open-world "unknown" verdict from logits alone, in plain JavaScript (no tensors): for
 * runtimes that have only a model's outputs and its calibration as JSON — `finegrain serve
 * --runtime onnx` (the export's `finegrain.calibration` metadata) and the web page's
 * on-device mode. MSP (temperature-scaled), max-logit and energy are arithmetic on one row of
 * logits and match the tensor scores of ood/ (msp.ts, max-logit.ts, energy.ts).
 *
 * Scores that need fitted statistics (knn's feature bank, mahalanobis's class means and
 * precision, react's and scale's head) are not in an ONNX file: a calibration whose default is
 * one of them falls back to a logit score it also fitted a threshold for (energy, then
 * max-logit, then MSP), else to the uncalibrated MSP default, and says so in `note`.
 *
 * This file imports nothing at run time, so the web page can load its compiled form.
 *
 * @example
 *   const d = logitVerdicts(JSON.parse(meta.calibration ?? 'null'));
 *   d.verdict(logitsRow);           // { isUnknown, score, threshold, method, calibrated }
 *   d.probabilities(logitsRow);     // softmax(logits / T)
 */
import type { UnknownVerdict } from './calibration.js';

/**
 * Threshold on the maximum softmax probability that a model without calibration uses. It is a
 * convention, not a fit: a 100-class fine-grained model's correct answers often have MSP below
 * 0.5, so 0.5 would reject too many; 0.2 rejects only answers the model is plainly unsure of.
 * `finegrain calibrate` replaces it with a threshold fitted on validation data.
 */
export const UNCALIBRATED_MSP_THRESHOLD = 0.2;

/** The scores computable from logits alone, in the order a fallback tries them. */
export const LOGIT_SCORES = ['energy', 'max_logit', 'msp'] as const;
export type LogitScore = (typeof LOGIT_SCORES)[number];

/** Softmax of `logits / temperature` (float64). */
export function softmaxRow(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! / temperature - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** One logit score of one row (higher = more in-distribution). */
export function logitScore(method: LogitScore, logits: ArrayLike<number>, temperature = 1): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  if (method === 'max_logit') return max;
  if (method === 'msp') {
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - max) / temperature);
    return 1 / sum;
  }
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/** What a calibration JSON (a Calibration's toJSON(), or a stored CalibrationInfo) holds that logits can use. */
interface CalibrationJson {
  calibrated?: boolean;
  method?: string;
  temperature?: number;
  thresholds?: Record<string, number>;
}

export interface LogitVerdicts {
  method: LogitScore;
  threshold: number;
  temperature: number;
  calibrated: boolean;
  /** Why the verdict is not the calibration's own default method (absent when it is). */
  note?: string;
  verdict(logits: ArrayLike<number>): UnknownVerdict;
  probabilities(logits: ArrayLike<number>): Float64Array;
}

const isLogitScore = (m: unknown): m is LogitScore => typeof m === 'string' && (LOGIT_SCORES as readonly string[]).includes(m);

function make(method: LogitScore, threshold: number, temperature: number, calibrated: boolean, note?: string): LogitVerdicts {
  return {
    method,
    threshold,
    temperature,
    calibrated,
    ...(note ? { note } : {}),
    verdict(logits) {
      const score = logitScore(method, logits, temperature);
      return { isUnknown: !(score >= threshold), score, threshold, method, calibrated };
    },
    probabilities: (logits) => softmaxRow(logits, temperature),
  };
}

/** The verdicts a calibration (parsed JSON, or null for none) allows from logits alone. */
export function logitVerdicts(calibration: unknown): LogitVerdicts {
  const c = (calibration && typeof calibration === 'object' ? calibration : {}) as CalibrationJson;
  const thresholds = c.thresholds && typeof c.thresholds === 'object' ? c.thresholds : {};
  const temperature = typeof c.temperature === 'number' && c.temperature > 0 && Number.isFinite(c.temperature) ? c.temperature : 1;
  const fitted = (m: string) => typeof thresholds[m] === 'number' && Number.isFinite(thresholds[m]);
  if (!calibration || c.calibrated === false || !c.method) return make('msp', UNCALIBRATED_MSP_THRESHOLD, 1, false);
  if (isLogitScore(c.method) && fitted(c.method)) return make(c.method, thresholds[c.method]!, temperature, true);
  const fallback = LOGIT_SCORES.find(fitted);
  const why = `the calibration's default '${c.method}' needs fitted statistics that are not in the ONNX model`;
  if (fallback) return make(fallback, thresholds[fallback]!, temperature, true, `${why}; using its fitted '${fallback}' threshold instead`);
  return make('msp', UNCALIBRATED_MSP_THRESHOLD, 1, false, `${why}, and it has no logit score threshold; using the uncalibrated MSP default`);
}
