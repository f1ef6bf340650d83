/**
 * Pseudo labels (the seed's step from 91.9 to 95.1): predict unlabelled images with the
 * best model, keep the predictions whose confidence reaches a threshold, and add them to
 * the training set with the predicted class as label.
 *
 * @example
 *   const picked = selectPseudoLabels(probs, 0.9);   // { rows, labels, confidence }
 */
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';

/** The pseudo labels `selectPseudoLabels` kept: three parallel arrays, one entry per kept row. */
export interface PseudoLabels {
  /** Rows of `probs` kept. */
  rows: number[];
  /** Predicted class of each kept row. */
  labels: number[];
  /** The top probability of each kept row (at least the threshold). */
  confidence: number[];
}

/** Keeps rows whose top probability is at least `threshold`. */
export function selectPseudoLabels(probs: Tensor, threshold: number): PseudoLabels {
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`pseudo-label threshold must be in [0, 1], got ${threshold}`);
  const { conf, pred } = scope(() => {
    const { values, indices } = probs.max(1);
    return { conf: values.toTypedArray() as Float32Array, pred: indices.toTypedArray() as BigInt64Array };
  });
  const out: PseudoLabels = { rows: [], labels: [], confidence: [] };
  for (let i = 0; i < conf.length; i++) {
    if (conf[i]! >= threshold) {
      out.rows.push(i);
      out.labels.push(Number(pred[i]!));
      out.confidence.push(conf[i]!);
    }
  }
  return out;
}
