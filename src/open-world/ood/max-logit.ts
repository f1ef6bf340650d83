/**
 * Maximum logit (Hendrycks et al. 2022, "Scaling OOD detection"; Vaze et al. 2022 show it
 * is a strong open-set baseline on fine-grained data).
 *
 * @example
 *   maxLogitScore(tensor([[2, 0]])); // [2]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

export function maxLogitScore(logits: Tensor): Float64Array {
  return scope(() => Float64Array.from(logits.float().max(1).values.toTypedArray() as Float32Array));
}
