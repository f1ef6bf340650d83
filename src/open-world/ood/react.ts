/**
 * ReAct (Sun et al. 2021): penultimate activations are clipped at a value c — the 90th
 * percentile of the training set's activations by default — and the energy score is taken on
 * the logits of the clipped activations (the classifier applied again).
 *
 * @example
 *   const c = reactClipValue(trainEmbeddings, 90);
 *   reactScore(testEmbeddings, head.weight, head.bias, c);
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { energyScore } from './energy.js';

export const REACT_PERCENTILE = 90;

/** The p-th percentile (linear interpolation, as numpy's default) of all activations. */
export function reactClipValue(embeddings: Tensor, percentile = REACT_PERCENTILE): number {
  const values = scope(() => Float64Array.from(embeddings.float().flatten().toTypedArray() as Float32Array));
  return quantile(values.sort(), percentile / 100);
}

/** q-quantile of ascending values, linear interpolation between order statistics. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!sorted.length) throw new RangeError('quantile of no values');
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function reactScore(embeddings: Tensor, headWeight: Tensor, headBias: Tensor, clip: number): Float64Array {
  const logits = scope(() => embeddings.float().clamp(null, clip).mm(headWeight.t()).add(headBias).keep());
  try {
    return energyScore(logits);
  } finally {
    logits.dispose();
  }
}
