/**
 * The post-hoc out-of-distribution scores and what they share. Convention everywhere in
 * src/open-world: a score is HIGHER for images that look in-distribution, so a threshold
 * rejects rows whose score is below it (OpenOOD's convention).
 *
 * @example
 *   const s: OodScoreName = 'knn';
 */
import type { Tensor } from '../../tensor/tensor.js';

/** Every score `finegrain` computes, by its one name (CLI `--method`, JSON keys, HTTP `method`). */
export const OOD_SCORES = ['msp', 'max_logit', 'energy', 'knn', 'mahalanobis', 'react', 'scale'] as const;
/** The name of an OOD score (see `OOD_SCORE_DESCRIPTIONS` for what each measures). */
export type OodScoreName = (typeof OOD_SCORES)[number];

/** One line per score, for --help and reports. */
export const OOD_SCORE_DESCRIPTIONS: Record<OodScoreName, string> = {
  msp: 'maximum softmax probability (temperature-scaled)',
  max_logit: 'largest logit',
  energy: 'negative free energy, logsumexp of the logits',
  knn: 'minus the distance to the k-th nearest training embedding (L2-normalised)',
  mahalanobis: 'minus the smallest Mahalanobis distance to a class mean (shared covariance)',
  react: 'energy after clipping activations at a training percentile (ReAct)',
  scale: 'energy after scaling activations by their top-percentile share (SCALE)',
};

/** Fitted statistics the scores need; those a score does not use may be absent. */
export interface OodStats {
  /** Temperature for msp. */
  temperature: number;
  /** [M, D] L2-normalised training embeddings (knn). */
  bank?: Tensor;
  /** Neighbour rank for knn (1 = nearest). */
  k: number;
  /** [C, D] class means and [D, D] inverse shared covariance (mahalanobis). */
  classMeans?: Tensor;
  /** [D, D] inverse of the shared covariance (mahalanobis). */
  precision?: Tensor;
  /** The classifier (react, scale): logits = emb W^T + b. */
  headWeight?: Tensor;
  /** The classifier's bias [C] (react, scale). */
  headBias?: Tensor;
  /** Activation clip value (react). */
  reactClip?: number;
  /** The scale score's percentile p in (0, 100): activations above a row's p-th percentile set its scale factor. */
  scalePercentile: number;
}

export function requireStat<T>(value: T | undefined, score: OodScoreName, what: string): T {
  if (value === undefined) throw new Error(`OOD score '${score}' needs ${what}, which this calibration does not hold (run finegrain calibrate)`);
  return value;
}
