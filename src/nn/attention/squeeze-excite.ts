/**
 * Squeeze-and-Excitation channel attention — Hu, Shen & Sun, "Squeeze-and-Excitation
 * Networks", CVPR 2018 (arXiv:1709.01507) — in timm's `SEModule` form: global average pool,
 * 1x1 conv `fc1` to `rdChannels`, activation, 1x1 conv `fc2` back, gate (sigmoid), rescale.
 *
 * State-dict names (`fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`, and `bn.*` with a
 * norm) are timm's, which are also torchvision's `SqueezeExcitation` names, so one class
 * serves SE-ResNet, RegNetY, EfficientNet (SiLU) and MobileNetV3 (hard-sigmoid gate).
 *
 * @example
 *   const se = new SqueezeExcite(256);                     // rd = makeDivisible(256 / 16, 8) = 16
 *   const y = se.forward(x);                               // x [N, 256, H, W], same shape out
 *   const tv = new SqueezeExcite(96, { rdChannels: 24, gate: 'hardsigmoid' });
 */
import { aten } from '../../native/aten.js';
import { scope } from '../../tensor/scope.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv2d.js';
import { BatchNorm2d } from '../layers/batch-norm.js';
import { createActivation, type ActivationName } from '../layers/activations.js';
import { makeDivisible } from '../divisible.js';
import { globalAvgPool2d } from '../functional/pooling.js';

/** Options of `SqueezeExcite`, with timm's defaults. */
export interface SqueezeExciteOptions {
  /** Reduction ratio of the bottleneck (default 1/16). */
  rdRatio?: number;
  /** Bottleneck width; overrides rdRatio. */
  rdChannels?: number;
  /** Round the bottleneck width to a multiple of this (default 8). */
  rdDivisor?: number;
  /** Squeeze with the mean of average and max pooling (timm's experimental option; default false). */
  addMaxpool?: boolean;
  /** Biases on fc1 and fc2 (default true). */
  bias?: boolean;
  /** Activation between fc1 and fc2 (default 'relu'). */
  act?: ActivationName;
  /** BatchNorm after fc1 (default false). */
  norm?: boolean;
  /** The gate (default 'sigmoid'). */
  gate?: ActivationName;
}

/**
 * Squeeze-and-Excitation channel attention (timm's `SEModule`, torchvision's
 * `SqueezeExcitation` names): each channel is rescaled by a gate computed from the globally
 * pooled features. Output shape = input shape.
 *
 * @example
 *   const se = new SqueezeExcite(256);   // bottleneck of 16 channels
 */
export class SqueezeExcite extends Module {
  /** The squeeze: 1x1 convolution from the channels to the bottleneck. */
  declare readonly fc1: Conv2d;
  /** BatchNorm after `fc1`, with `norm: true`; undefined otherwise. */
  declare readonly bn: BatchNorm2d | undefined;
  /** The activation between `fc1` and `fc2`. */
  declare readonly act: Module;
  /** The excite: 1x1 convolution from the bottleneck back to the channels. */
  declare readonly fc2: Conv2d;
  /** The gate that turns `fc2`'s output into per-channel scales (sigmoid by default). */
  declare readonly gate: Module;
  /** Whether the squeeze averages average and max pooling instead of average pooling alone. */
  readonly addMaxpool: boolean;

  constructor(channels: number, options: SqueezeExciteOptions = {}) {
    super();
    const { rdRatio = 1 / 16, rdDivisor = 8, bias = true, act = 'relu', gate = 'sigmoid' } = options;
    const rd = options.rdChannels || makeDivisible(channels * rdRatio, rdDivisor, { roundLimit: 0 });
    this.addMaxpool = options.addMaxpool ?? false;
    this.registerModule('fc1', new Conv2d(channels, rd, 1, { bias }));
    if (options.norm) this.registerModule('bn', new BatchNorm2d(rd));
    this.registerModule('act', createActivation(act, { inplace: true }));
    this.registerModule('fc2', new Conv2d(rd, channels, 1, { bias }));
    this.registerModule('gate', createActivation(gate));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      let s = globalAvgPool2d(x);
      if (this.addMaxpool) s = s.mul(0.5).add(wrap(aten('amax').call(x.handle, [2, 3], true)), 0.5);
      s = this.fc1.forward(s);
      if (this.bn) s = this.bn.forward(s);
      s = this.fc2.forward(this.act.forward(s));
      return x.mul(this.gate.forward(s));
    });
  }
}
