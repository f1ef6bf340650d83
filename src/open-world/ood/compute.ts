/**
 * One entry point for every OOD score: `oodScore(name, logits, embeddings, stats)`.
 * Higher = more in-distribution (see score.ts).
 *
 * @example
 *   const s = oodScore('energy', logits, embeddings, stats);
 */
import type { Tensor } from '../../tensor/tensor.js';
import { energyScore } from './energy.js';
import { knnScore } from './knn.js';
import { mahalanobisScore } from './mahalanobis.js';
import { maxLogitScore } from './max-logit.js';
import { mspScore } from './msp.js';
import { reactScore } from './react.js';
import { scaleScore } from './scale.js';
import { OOD_SCORES, requireStat, type OodScoreName, type OodStats } from './score.js';

export function isOodScoreName(name: string): name is OodScoreName {
  return (OOD_SCORES as readonly string[]).includes(name);
}

export function oodScore(name: OodScoreName, logits: Tensor, embeddings: Tensor, stats: OodStats): Float64Array {
  switch (name) {
    case 'msp':
      return mspScore(logits, stats.temperature);
    case 'max_logit':
      return maxLogitScore(logits);
    case 'energy':
      return energyScore(logits);
    case 'knn':
      return knnScore(embeddings, requireStat(stats.bank, name, 'a feature bank'), stats.k);
    case 'mahalanobis':
      return mahalanobisScore(embeddings, requireStat(stats.classMeans, name, 'class means'), requireStat(stats.precision, name, 'a precision matrix'));
    case 'react':
      return reactScore(
        embeddings,
        requireStat(stats.headWeight, name, 'the classifier weights'),
        requireStat(stats.headBias, name, 'the classifier bias'),
        requireStat(stats.reactClip, name, 'a clip value'),
      );
    case 'scale':
      return scaleScore(
        embeddings,
        requireStat(stats.headWeight, name, 'the classifier weights'),
        requireStat(stats.headBias, name, 'the classifier bias'),
        stats.scalePercentile,
      );
  }
}

/** The scores a calibration can compute (those whose statistics it holds). */
export function availableScores(stats: OodStats): OodScoreName[] {
  return OOD_SCORES.filter((s) => {
    if (s === 'knn') return stats.bank !== undefined;
    if (s === 'mahalanobis') return stats.classMeans !== undefined && stats.precision !== undefined;
    if (s === 'react') return stats.headWeight !== undefined && stats.reactClip !== undefined;
    if (s === 'scale') return stats.headWeight !== undefined;
    return true;
  });
}
