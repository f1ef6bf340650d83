/**
 * The Inception networks' convolution unit: convolution without bias → BatchNorm (eps 1e-3,
 * the TensorFlow ports' value) → ReLU, with submodules `conv` and `bn`. torchvision's
 * GoogLeNet and Inception v3 call it `BasicConv2d`, timm's Inception v4 builds the same
 * keys from `ConvNormAct`. Unlike `ConvNormAct` in src/nn, kernels, strides and paddings may
 * be rectangular (Inception v3/v4 factorise 7x7 into 1x7 and 7x1).
 *
 * @example
 *   const c = new BasicConv2d(768, 192, [1, 7], { padding: [0, 3] });
 *   const y = c.forward(x);   // keys: conv.weight, bn.weight, bn.running_mean, …
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Size2 } from '../../nn/functional/args.js';
import { relu } from '../../nn/functional/activation.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';

/** Options of `BasicConv2d`. */
export interface BasicConv2dOptions {
  /** Step of the convolution (default 1). */
  stride?: Size2;
  /** Zero padding on both sides (default 0). */
  padding?: Size2;
  /** BatchNorm epsilon (default 1e-3). */
  eps?: number;
}

/**
 * The Inception networks' convolution unit (torchvision's `BasicConv2d`): convolution without
 * bias, BatchNorm (eps 1e-3), ReLU; kernels, strides and paddings may be rectangular.
 *
 * @example
 *   const c = new BasicConv2d(768, 192, [1, 7], { padding: [0, 3] });
 */
export class BasicConv2d extends Module {
  /** The convolution (no bias). */
  declare readonly conv: Conv2d;
  /** The BatchNorm after it. */
  declare readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: BasicConv2dOptions = {}) {
    super();
    const { stride = 1, padding = 0, eps = 1e-3 } = options;
    this.registerModule('conv', new Conv2d(inChannels, outChannels, kernelSize, { stride, padding, bias: false }));
    this.registerModule('bn', new BatchNorm2d(outChannels, { eps }));
  }

  forward(x: Tensor): Tensor {
    const h = this.conv.forward(x);
    const y = this.bn.forward(h);
    h.dispose();
    // In place on the fresh BatchNorm output, as torchvision's F.relu(x, inplace=True).
    return relu(y, { inplace: true });
  }
}
