/**
 * LayerNorm over the channels of an [N, C, H, W] map (torchvision's ConvNeXt `LayerNorm2d`):
 * each position's C values are normalised, as a LayerNorm on the channels-last view, with
 * the same `weight` and `bias` names as `LayerNorm`.
 *
 * @example
 *   const norm = new LayerNorm2d(96, { eps: 1e-6 });
 *   const y = norm.forward(x);   // x [N, 96, H, W]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { layerNorm } from '../../nn/functional/normalization.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';

/** LayerNorm over the channels of an [N, C, H, W] map (torchvision ConvNeXt's `LayerNorm2d`), with `LayerNorm`'s parameter names. */
export class LayerNorm2d extends LayerNorm {
  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`LayerNorm2d: expected [N, C, H, W], got [${x.shape}]`);
    return scope(() => layerNorm(x.permute(0, 2, 3, 1), this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps }).permute(0, 3, 1, 2));
  }
}
