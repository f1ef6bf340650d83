/**
 * The attention image of the seed article: the feature map just before the classifier,
 * reduced to one channel (mean over channels), upsampled to the image size and scaled to
 * [0, 1] per image. Used by the attention-region crop, SCDA, and the attention-map images
 * that `predict` writes.
 *
 * @example
 *   const maps = attentionMaps(model.forwardFeatures(x), [224, 224]); // [N, 224, 224]
 */
import { interpolate } from '../nn/functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';

/**
 * Attention maps [N, H, W] in [0, 1] from a feature map [N, C, h, w]: the mean over channels,
 * upsampled to `size` ([H, W]) and min-max scaled per image.
 *
 * @example
 *   const maps = attentionMaps(model.forwardFeatures(x), [224, 224]);
 */
export function attentionMaps(features: Tensor, size: readonly [number, number]): Tensor {
  if (features.ndim !== 4) throw new TypeError(`attentionMaps: expected features [N, C, h, w], got [${features.shape}]`);
  return scope(() => {
    const reduced = features.float().mean(1, { keepdim: true });
    const up = interpolate(reduced, { size: [size[0], size[1]], mode: 'bilinear', alignCorners: false }).squeeze(1);
    const flat = up.flatten(1);
    const lo = flat.min(1, true).values.unsqueeze(2);
    const hi = flat.max(1, true).values.unsqueeze(2);
    return up.sub(lo).div(hi.sub(lo).clamp(1e-12, null));
  });
}
