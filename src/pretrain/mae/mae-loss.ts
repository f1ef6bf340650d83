/**
 * MAE's reconstruction loss (He et al. 2022, §3 "Reconstruction target"; `forward_loss` of the
 * reference): the mean squared error between the decoder's prediction and the image's patches,
 * per patch, averaged over the *removed* patches only — the visible ones do not count. With
 * `normPixLoss` the target of each patch is that patch standardised by its own mean and
 * variance (the reference's `.var()`: the unbiased estimate, and ε = 1e-6), which the paper
 * finds gives better representations.
 *
 * @example
 *   const loss = maeLoss(pred, patchify(images, 16), mask, { normPixLoss: true });   // a scalar
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Each patch's values standardised over the patch: (x − mean) / sqrt(var + 1e-6), with the
 * unbiased variance as the reference computes it.
 *
 * @example
 *   normalizedPixelTarget(patchify(images, 16));   // [N, L, p²·3]
 */
export function normalizedPixelTarget(patches: Tensor): Tensor {
  return scope(() => {
    const mean = patches.mean(-1, { keepdim: true });
    const variance = patches.var(-1, { keepdim: true });
    return patches.sub(mean).div(variance.add(1e-6).sqrt());
  });
}

/**
 * The loss over removed patches (see the file comment). `pred` and `target` are [N, L, p²·3],
 * `mask` [N, L] with 1 for removed patches.
 *
 * @example
 *   maeLoss(pred, target, mask, { normPixLoss: false });
 */
export function maeLoss(pred: Tensor, target: Tensor, mask: Tensor, options: { normPixLoss: boolean }): Tensor {
  return scope(() => {
    const t = options.normPixLoss ? normalizedPixelTarget(target) : target;
    const perPatch = pred.sub(t).square().mean(-1);
    return perPatch.mul(mask).sum().div(mask.sum());
  });
}
