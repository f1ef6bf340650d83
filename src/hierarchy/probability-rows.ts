/**
 * A [N, K] tensor of class probabilities as the rows the hierarchy's functions take (views
 * into one copied array; the tensor stays the caller's).
 *
 * @example
 *   const rows = probabilityRows(probs); // rows[i][c]: image i's probability of class c
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export function probabilityRows(probs: Tensor): Float32Array[] {
  const flat = scope(() => probs.float().cpu().contiguous().toTypedArray() as Float32Array);
  const [n, k] = [probs.shape[0]!, probs.shape[1]!];
  return Array.from({ length: n }, (_, i) => flat.subarray(i * k, (i + 1) * k));
}
