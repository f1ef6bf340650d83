/**
 * A two-layer MLP of 1x1 convolutions that keeps the spatial dimensions (timm's `ConvMlp`):
 * `fc1` (in → hidden, bias) → activation → `fc2` (hidden → out, bias). The excite step of
 * Gather-Excite; the names are timm's.
 *
 * @example
 *   const mlp = new ConvMlp(256, 16);      // 256 -> 16 -> 256 channels
 *   const y = mlp.forward(x);              // x [N, 256, H, W]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/scope.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv2d.js';
import { createActivation, type ActivationName } from '../layers/activations.js';

/**
 * Two 1x1 convolutions with an activation between (timm's `ConvMlp`): an MLP over channels at
 * every position, keeping the spatial size.
 *
 * @example
 *   const mlp = new ConvMlp(256, 16);   // 256 -> 16 -> 256 channels
 */
export class ConvMlp extends Module {
  /** Input to hidden channels (1x1 convolution with bias). */
  declare readonly fc1: Conv2d;
  /** The activation between the two. */
  declare readonly act: Module;
  /** Hidden to output channels (1x1 convolution with bias). */
  declare readonly fc2: Conv2d;

  constructor(inFeatures: number, hiddenFeatures = inFeatures, options: { outFeatures?: number; act?: ActivationName } = {}) {
    super();
    this.registerModule('fc1', new Conv2d(inFeatures, hiddenFeatures, 1));
    this.registerModule('act', createActivation(options.act ?? 'relu'));
    this.registerModule('fc2', new Conv2d(hiddenFeatures, options.outFeatures ?? inFeatures, 1));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}
