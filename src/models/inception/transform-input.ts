/**
 * torchvision's `transform_input` of GoogLeNet and Inception v3: the original TensorFlow
 * weights expect pixels in [-1, 1], while torchvision's pipelines normalise with the ImageNet
 * mean and std; this maps the latter to the former, channel by channel:
 * x·(std / 0.5) + (mean − 0.5) / 0.5.
 *
 * @example
 *   const tfRange = transformInput(normalised);   // [N, 3, H, W]
 */
import { scope } from '../../tensor/scope.js';
import { tensor } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { IMAGENET_MEAN as MEAN, IMAGENET_STD as STD } from '../preprocess-config.js';

/**
 * ImageNet-normalised [N, 3, H, W] → the [-1, 1] range of the TensorFlow weights.
 * @example const y = transformInput(x);   // x = (pixels − mean) / std
 */
export function transformInput(x: Tensor): Tensor {
  return scope(() => {
    const opts = { dtype: x.dtype, device: x.device };
    const scale = tensor(
      STD.map((s) => s / 0.5),
      opts,
    ).view(1, 3, 1, 1);
    const shift = tensor(
      MEAN.map((m) => (m - 0.5) / 0.5),
      opts,
    ).view(1, 3, 1, 1);
    return x.mul(scale).add(shift);
  });
}
