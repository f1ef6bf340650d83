/** Lookup tables and one-hot codes (torch.nn.functional.embedding / one_hot). */
import { aten } from '../../native/aten.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

/** Options of `embedding`, as torch.nn.functional.embedding takes them. */
export interface EmbeddingOptions {
  /** This row gets no gradient (a fixed padding vector); negative counts from the end. */
  paddingIdx?: number | null;
  /** Renormalise the looked-up rows of `weight` IN PLACE to at most this norm first. */
  maxNorm?: number | null;
  /** The p of the norm for maxNorm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of each index in the batch (default false). */
  scaleGradByFreq?: boolean;
  /** Sparse gradient for `weight` (default false). */
  sparse?: boolean;
}

/**
 * Rows of `weight` [numEmbeddings, dim] at integer `indices` (any shape): [...indices.shape, dim].
 *
 * @example
 *   const pos = embedding(positions, table);                  // learnt position codes
 *   const tok = embedding(ids, table, { paddingIdx: 0 });
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const { maxNorm = null, normType = 2, scaleGradByFreq = false, sparse = false } = options;
  let paddingIdx = options.paddingIdx ?? -1;
  const n = weight.size(0);
  if (options.paddingIdx != null) {
    if (paddingIdx >= n || paddingIdx < -n) throw new RangeError(`Padding_idx must be within num_embeddings (got ${paddingIdx} for ${n} embeddings)`);
    if (paddingIdx < 0) paddingIdx += n;
  }
  if (maxNorm !== null) {
    // A renormalisation of the parameter, not part of the differentiated computation.
    noGrad(() => aten('embedding_renorm_').callVoid(weight.handle, indices.handle, maxNorm, normType));
  }
  return wrap(aten('embedding').call(weight.handle, indices.handle, paddingIdx, scaleGradByFreq, sparse));
}

/**
 * One-hot codes (int64) of class indices: [...indices.shape, numClasses]; numClasses -1
 * (default) means max(indices) + 1.
 *
 * @example
 *   const targets = oneHot(labels, 200).float();
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  return wrap(aten('one_hot').call(indices.handle, numClasses));
}
