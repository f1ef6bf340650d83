/**
 * MAE's per-sample random masking (He et al. 2022, §3; `random_masking` of the reference): each
 * sample's patches are shuffled by sorting uniform noise, the first round(L·(1 − ratio)) are
 * kept (the encoder sees only these), and `idsRestore` — the inverse permutation — puts the
 * decoder's tokens back in place. `mask` is 1 where a patch was removed, 0 where it was kept,
 * in the original patch order.
 *
 * The reference keeps int(L·(1 − ratio)) patches; this keeps round(…) (the definition).
 * They differ only where L·(1 − ratio) has a fractional part ≥ 0.5 (e.g. 0.75 of 50 patches).
 *
 * The noise comes from libtorch's generator: a run that reseeds it per step (as `pretrain`
 * does) masks the same patches when resumed.
 *
 * @example
 *   const { visible, mask, idsRestore } = randomMasking(tokens, 0.75);   // [N, L/4, D], [N, L], [N, L]
 */
import { scope } from '../../tensor/scope.js';
import { rand, ones } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';

/** What `randomMasking` returns; the caller owns the three tensors. */
export interface MaskedTokens {
  /** The kept tokens [N, keep, D], in the shuffled order. */
  visible: Tensor;
  /** 1 for removed patches, 0 for kept ones [N, L] (float32), in the original order. */
  mask: Tensor;
  /** The inverse of the shuffle [N, L] (int64): gathering the shuffled sequence by it restores the order. */
  idsRestore: Tensor;
}

/**
 * Patches kept out of `length` at `maskRatio`.
 *
 * @example
 *   keptPatches(196, 0.75);   // 49
 */
export function keptPatches(length: number, maskRatio: number): number {
  if (!(maskRatio >= 0 && maskRatio < 1)) throw new RangeError(`maskRatio must be in [0, 1), got ${maskRatio}`);
  return Math.max(1, Math.round(length * (1 - maskRatio)));
}

/**
 * Masks `tokens` [N, L, D] per sample (see the file comment).
 *
 * @example
 *   const m = randomMasking(randn([2, 16, 8]), 0.75);   // m.visible: [2, 4, 8]
 */
export function randomMasking(tokens: Tensor, maskRatio: number, options: { noise?: Tensor } = {}): MaskedTokens {
  const [n, l, d] = tokens.shape as [number, number, number];
  const keep = keptPatches(l, maskRatio);
  return scope(() => {
    // `noise` [N, L] (tests pass the reference's): the patches with the smallest values are kept.
    const noise = options.noise ?? rand([n, l], { device: tokens.device });
    const idsShuffle = noise.sort(1).indices;
    const idsRestore = idsShuffle.sort(1).indices;
    const idsKeep = idsShuffle.slice(1, 0, keep);
    const visible = tokens.gather(1, idsKeep.unsqueeze(-1).expand(n, keep, d));
    const shuffledMask = ones([n, l], { device: tokens.device });
    shuffledMask.slice(1, 0, keep).zero_();
    const mask = shuffledMask.gather(1, idsRestore);
    return { visible, mask, idsRestore };
  });
}
