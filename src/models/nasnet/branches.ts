/**
 * The operations NASNet-A's cells combine (Zoph et al., "Learning Transferable Architectures
 * for Scalable Image Recognition", CVPR 2018), with timm's state-dict names:
 *
 * - `ActConvBn`: ReLU → 1x1 convolution → BatchNorm (`conv`, `bn`), the cells' input adapters;
 * - `SeparableConv2d`: depthwise k×k → pointwise 1x1 (`depthwise_conv2d`, `pointwise_conv2d`);
 * - `BranchSeparables`: two ReLU → separable → BatchNorm units (`separable_1`, `bn_sep_1`, …);
 * - `reductionPaths`: the two stride-2 1x1 convolution paths (`path_1`, `path_2`) that halve
 *   a cell's previous input to match its current one.
 *
 * Every BatchNorm has eps 1e-3 (the TensorFlow weights'); convolutions have no bias.
 *
 * @example
 *   const b = new BranchSeparables(42, 42, 5, 2);   // stride-2 5x5 separable branch
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../nn/functional/activation.js';
import { pad } from '../../nn/functional/padding.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { AvgPool2d } from '../../nn/layers/pooling.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { sameConv2d } from './same-padding.js';

const bn = (c: number) => new BatchNorm2d(c, { eps: 1e-3 });

/** ReLU → 1x1 convolution → BatchNorm. The ReLU does not overwrite `x` (other branches read it). */
export class ActConvBn extends Module {
  declare readonly conv: Conv2d;
  declare readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.registerModule('conv', new Conv2d(inChannels, outChannels, 1, { bias: false }));
    this.registerModule('bn', bn(outChannels));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.bn.forward(this.conv.forward(relu(x))));
  }
}

/** Depthwise k×k (stride, 'SAME' padding) then pointwise 1x1. */
export class SeparableConv2d extends Module {
  declare readonly depthwise_conv2d: Conv2d;
  declare readonly pointwise_conv2d: Conv2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number) {
    super();
    this.registerModule('depthwise_conv2d', sameConv2d(inChannels, inChannels, kernelSize, { stride, groups: inChannels }));
    this.registerModule('pointwise_conv2d', new Conv2d(inChannels, outChannels, 1, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.pointwise_conv2d.forward(this.depthwise_conv2d.forward(x)));
  }
}

/**
 * ReLU → separable (stride) → BN → ReLU → separable → BN. The middle width is the input's,
 * or the output's in the first stem cell (`stemCell`, timm's stem_cell=True).
 */
export class BranchSeparables extends Module {
  declare readonly separable_1: SeparableConv2d;
  declare readonly bn_sep_1: BatchNorm2d;
  declare readonly separable_2: SeparableConv2d;
  declare readonly bn_sep_2: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number, options: { stemCell?: boolean } = {}) {
    super();
    const middle = options.stemCell ? outChannels : inChannels;
    this.registerModule('separable_1', new SeparableConv2d(inChannels, middle, kernelSize, stride));
    this.registerModule('bn_sep_1', bn(middle));
    this.registerModule('separable_2', new SeparableConv2d(middle, outChannels, kernelSize, 1));
    this.registerModule('bn_sep_2', bn(outChannels));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = relu(this.bn_sep_1.forward(this.separable_1.forward(relu(x))), { inplace: true });
      return this.bn_sep_2.forward(this.separable_2.forward(h));
    });
  }
}

/**
 * Shifts a map one pixel up-left, zero-filling the bottom row and right column (timm's
 * ZeroPad2d((-1, 1, -1, 1))), so the second reduction path samples the other pixels.
 * @example new ShiftPad().forward(x);   // y[i, j] = x[i + 1, j + 1]
 */
export class ShiftPad extends Module {
  forward(x: Tensor): Tensor {
    return pad(x, [-1, 1, -1, 1]);
  }
}

/**
 * The two paths of a factorised reduction: stride-2 1x1 convolutions to `outChannels / 2`
 * each, the second on the map shifted by one pixel (so together they see every pixel).
 * Cells register them as their own `path_1` and `path_2` (timm's names).
 * @example
 *   const [p1, p2] = reductionPaths(96, 84);   // each 96 → 42 channels at half the grid
 */
export function reductionPaths(inChannels: number, outChannels: number): [Sequential, Sequential] {
  const subsample = () => new AvgPool2d(1, { stride: 2, countIncludePad: false });
  const conv = () => new Conv2d(inChannels, outChannels / 2, 1, { bias: false });
  return [
    new Sequential([
      ['avgpool', subsample()],
      ['conv', conv()],
    ]),
    new Sequential([
      ['pad', new ShiftPad()],
      ['avgpool', subsample()],
      ['conv', conv()],
    ]),
  ];
}
