/** Vector norms and similarities along a dimension (torch.nn.functional.normalize / cosine_similarity). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/scope.js';

/** Options of `normalize` (dividing vectors by their p-norm). */
export interface NormalizeOptions {
  /** The norm's exponent (default 2). */
  p?: number;
  /** Dimension of the vectors (default 1). */
  dim?: number;
  /** Lower bound of the divisor, so zero vectors stay zero (default 1e-12). */
  eps?: number;
}

/**
 * x / max(||x||_p, eps) along `dim`: unit vectors (L2 by default).
 *
 * @example
 *   const unit = normalize(embeddings, { dim: -1 });
 */
export function normalize(input: Tensor, options: NormalizeOptions = {}): Tensor {
  const { p = 2, dim = 1, eps = 1e-12 } = options;
  return scope(() => {
    const norm = wrap(aten('norm.ScalarOpt_dim').call(input.handle, p, [dim], true));
    const denom = wrap(aten('clamp_min').call(norm.handle, eps));
    const expanded = wrap(aten('expand_as').call(denom.handle, input.handle));
    return wrap(aten('div.Tensor').call(input.handle, expanded.handle));
  });
}

/**
 * Cosine of the angle between `x1` and `x2` along `dim` (broadcasting), with each norm
 * bounded below by `eps`.
 *
 * @example
 *   const sim = cosineSimilarity(a, b, { dim: -1 });  // [N]
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  return wrap(aten('cosine_similarity').call(x1.handle, x2.handle, options.dim ?? 1, options.eps ?? 1e-8));
}
