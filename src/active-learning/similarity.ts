/**
 * Cosine similarities between sets of L2-normalised embeddings (`l2Normalize`, as the knn
 * unknown score uses them), computed on libtorch one block of rows at a time so the
 * [block × M] similarity matrix stays small however many photos there are.
 *
 * @example
 *   const z = l2Normalize(embeddings);
 *   similarNeighbours(z, 0.95);       // [[3], [], [], [0], ...]: rows 0 and 3 are near-duplicates
 *   maxSimilarity(z, labelledZ);      // each row's similarity to its closest labelled photo
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** Similarity entries computed at once (rows per block × rows of the other set). */
const BLOCK_ENTRIES = 1 << 22;

function blocks(n: number, m: number, each: (start: number, len: number) => void): void {
  const rows = Math.max(1, Math.floor(BLOCK_ENTRIES / Math.max(1, m)));
  for (let start = 0; start < n; start += rows) each(start, Math.min(rows, n - start));
}

/** Each row of `x`'s largest cosine similarity to a row of `refs` (both [·, D], unit rows); -Infinity when `refs` is empty. */
export function maxSimilarity(x: Tensor, refs: Tensor): Float64Array {
  const n = x.size(0);
  const m = refs.size(0);
  const out = new Float64Array(n).fill(-Infinity);
  if (!m) return out;
  blocks(n, m, (start, len) => {
    const best = scope(() => x.narrow(0, start, len).mm(refs.t()).max(1).values.toTypedArray() as Float32Array);
    out.set(best, start);
  });
  return out;
}

/** For each row of `x` ([N, D], unit rows): the other rows whose cosine similarity to it is at least `threshold`, ascending. */
export function similarNeighbours(x: Tensor, threshold: number): number[][] {
  const n = x.size(0);
  const out: number[][] = Array.from({ length: n }, () => []);
  blocks(n, n, (start, len) => {
    const pairs = scope(() => x.narrow(0, start, len).mm(x.t()).ge(threshold).nonzero().contiguous().toTypedArray() as BigInt64Array);
    for (let p = 0; p < pairs.length; p += 2) {
      const i = start + Number(pairs[p]!);
      const j = Number(pairs[p + 1]!);
      if (i !== j) out[i]!.push(j);
    }
  });
  return out;
}

/**
 * Each row's local density: the mean cosine similarity to its `k` most similar other rows of
 * `x` ([N, D], unit rows; k is capped at N − 1). Photos in sparse regions — atypical shots,
 * odd crops, backgrounds — score low.
 */
export function neighbourDensity(x: Tensor, k: number): Float64Array {
  const n = x.size(0);
  const out = new Float64Array(n);
  const kk = Math.min(k, n - 1);
  if (kk < 1) return out.fill(1);
  blocks(n, n, (start, len) => {
    // the top kk + 1 include the row itself (similarity 1), which is dropped
    const mean = scope(
      () =>
        x
          .narrow(0, start, len)
          .mm(x.t())
          .topk(kk + 1, 1)
          .values.narrow(1, 1, kk)
          .mean([1])
          .toTypedArray() as Float32Array,
    );
    out.set(mean, start);
  });
  return out;
}
