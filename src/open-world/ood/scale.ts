/**
 * SCALE (Xu et al., ICLR 2024, "Scaling for training-time and post-hoc OOD detection
 * enhancement"): each row of penultimate activations a is multiplied by exp(s1 / s2), where
 * s1 is the sum of all its activations and s2 the sum of those above the row's p-th
 * percentile; the energy score is taken on the classifier's logits of the scaled row. No
 * statistics from training data are needed. p = 85 is the paper's ImageNet setting.
 *
 * @example
 *   scaleScore(testEmbeddings, head.weight, head.bias, 85);
 */
import { fromTypedArray } from '../../tensor/creation.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { energyScore } from './energy.js';

export const SCALE_PERCENTILE = 85;

/** Per row, the SCALE factor exp(s1 / s2) (a row with nothing above its percentile keeps 1). */
export function scaleFactors(embeddings: Tensor, percentile = SCALE_PERCENTILE): Float32Array {
  const [n, d] = embeddings.shape as [number, number];
  const a = scope(() => embeddings.float().contiguous().toTypedArray() as Float32Array);
  const out = new Float32Array(n);
  const row = new Float32Array(d);
  // Keep the activations strictly above the value at index ceil(d * p / 100) - 1 of the sorted row,
  // i.e. the top (100 - p)% — ASH/SCALE's `torch.kthvalue` convention.
  const kth = Math.max(1, Math.min(d, Math.round((d * percentile) / 100)));
  for (let i = 0; i < n; i++) {
    let s1 = 0;
    for (let j = 0; j < d; j++) {
      row[j] = a[i * d + j]!;
      s1 += row[j]!;
    }
    const sorted = Float32Array.from(row).sort();
    const t = sorted[kth - 1]!;
    let s2 = 0;
    for (let j = 0; j < d; j++) if (row[j]! > t) s2 += row[j]!;
    out[i] = s2 > 0 ? Math.exp(s1 / s2) : 1;
  }
  return out;
}

export function scaleScore(embeddings: Tensor, headWeight: Tensor, headBias: Tensor, percentile = SCALE_PERCENTILE): Float64Array {
  const f = scaleFactors(embeddings, percentile);
  const logits = scope(() =>
    embeddings
      .float()
      .mul(fromTypedArray(f, [f.length, 1]))
      .mm(headWeight.t())
      .add(headBias)
      .keep(),
  );
  try {
    return energyScore(logits);
  } finally {
    logits.dispose();
  }
}
