/**
 * Energy score (Liu et al. 2020): minus the free energy, T · logsumexp(logits / T), with
 * T = 1 as the paper recommends.
 *
 * @example
 *   energyScore(tensor([[0, 0]])); // [ln 2]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

export function energyScore(logits: Tensor, temperature = 1): Float64Array {
  return scope(() => Float64Array.from(logits.float().div(temperature).logsumexp(1).mul(temperature).toTypedArray() as Float32Array));
}
