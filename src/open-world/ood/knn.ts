/**
 * Deep nearest neighbours (Sun et al. 2022): the embedding and a bank of training embeddings
 * are L2-normalised; the score is minus the Euclidean distance to the k-th nearest bank
 * member. Distances come from one matrix product (|a - b|² = 2 - 2 a·b for unit vectors).
 *
 * @example
 *   const bank = l2Normalize(trainEmbeddings);
 *   knnScore(testEmbeddings, bank, 5);
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Rows scaled to unit length (zero rows stay zero). */
export function l2Normalize(x: Tensor): Tensor {
  return scope(() => {
    const f = x.float();
    return f.div(f.norm(2, 1, true).clamp(1e-12));
  });
}

/** Rows processed at once, so the [rows, M] similarity block stays small. */
const CHUNK = 512;

export function knnScore(embeddings: Tensor, bank: Tensor, k: number): Float64Array {
  const m = bank.shape[0]!;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`knn: k must be a positive integer, got ${k}`);
  if (k > m) throw new RangeError(`knn: k = ${k} exceeds the feature bank's ${m} embeddings`);
  const n = embeddings.shape[0]!;
  const out = new Float64Array(n);
  for (let start = 0; start < n; start += CHUNK) {
    const len = Math.min(CHUNK, n - start);
    const kth = scope(() => {
      const z = l2Normalize(embeddings.narrow(0, start, len));
      const sims = z.mm(bank.t());
      // The k-th largest similarity is the k-th nearest neighbour.
      const { values } = sims.topk(k, 1);
      return values.select(1, k - 1).toTypedArray() as Float32Array;
    });
    for (let i = 0; i < len; i++) out[start + i] = -Math.sqrt(Math.max(0, 2 - 2 * kth[i]!));
  }
  return out;
}
