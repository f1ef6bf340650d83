/**
 * Maximum softmax probability (Hendrycks & Gimpel 2017), optionally temperature-scaled.
 *
 * @example
 *   mspScore(tensor([[2, 0]]), 1); // [0.8808]
 */
import { softmax } from '../../nn/functional/activation.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

export function mspScore(logits: Tensor, temperature = 1): Float64Array {
  return scope(() => Float64Array.from(softmax(logits.float().div(temperature), 1).max(1).values.toTypedArray() as Float32Array));
}
