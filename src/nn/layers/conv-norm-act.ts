/**
 * Convolution + BatchNorm + activation, in the two spellings model zoos use:
 *
 * - `ConvNormAct` (timm's `ConvNormAct`): submodules `conv`, `bn`, `act`, so keys read
 *   `stem.conv.weight`, `stem.bn.running_mean`; symmetric padding as timm's `get_padding`.
 * - `conv2dNormActivation()` (torchvision's `Conv2dNormActivation`): a `Sequential` of the
 *   three, so keys read `features.0.0.weight`, `features.0.1.running_var`.
 *
 * In both, the convolution has no bias (the BatchNorm shift replaces it).
 *
 * @example
 *   const stem = new ConvNormAct(3, 32, 3, { stride: 2 });                       // timm names
 *   const first = conv2dNormActivation(3, 32, { kernelSize: 3, stride: 2, activation: () => new SiLU() });
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Conv2d } from './conv2d.js';
import { BatchNorm2d, type BatchNormLayerOptions } from './batch-norm.js';
import { ReLU, createActivation, type ActivationName } from './activations.js';
import { Sequential } from './sequential.js';

/**
 * timm's symmetric padding for a kernel, stride and dilation: ((s - 1) + d·(k - 1)) / 2.
 * @example timmPadding(3, 2); // 1
 */
export function timmPadding(kernelSize: number, stride = 1, dilation = 1): number {
  return Math.floor((stride - 1 + dilation * (kernelSize - 1)) / 2);
}

/** Options of `ConvNormAct`. */
export interface ConvNormActOptions {
  /** Step of the convolution (default 1). */
  stride?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups of the convolution (default 1; the input channels for depthwise). */
  groups?: number;
  /** Default: timm's symmetric padding for the kernel, stride and dilation. */
  padding?: number;
  /** Activation after the norm; null for none (default 'relu'). */
  act?: ActivationName | null;
  /** Options of the BatchNorm (eps, momentum). */
  bn?: BatchNormLayerOptions;
}

/** timm's conv → bn → act block with submodules named `conv`, `bn` (and `act`). */
export class ConvNormAct extends Module {
  /** The convolution (no bias). */
  declare readonly conv: Conv2d;
  /** The BatchNorm after it. */
  declare readonly bn: BatchNorm2d;
  /** The activation, in place; undefined with `act: null`. */
  declare readonly act: Module | undefined;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvNormActOptions = {}) {
    super();
    const { stride = 1, dilation = 1, groups = 1, act = 'relu' } = options;
    const padding = options.padding ?? timmPadding(kernelSize, stride, dilation);
    this.registerModule('conv', new Conv2d(inChannels, outChannels, kernelSize, { stride, padding, dilation, groups, bias: false }));
    this.registerModule('bn', new BatchNorm2d(outChannels, options.bn));
    if (act) this.registerModule('act', createActivation(act, { inplace: true }));
  }

  forward(x: Tensor): Tensor {
    const y = this.bn.forward(this.conv.forward(x));
    if (!this.act) return y;
    // The activation runs in place on the fresh BatchNorm output (as timm's BatchNormAct2d).
    return this.act.forward(y);
  }
}

/** Options of `conv2dNormActivation`, torchvision's defaults. */
export interface Conv2dNormActivationOptions {
  /** Kernel side (default 3); the padding keeps the size at stride 1. */
  kernelSize?: number;
  /** Step of the convolution (default 1). */
  stride?: number;
  /** Channel groups of the convolution (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** The norm layer for `c` channels (default BatchNorm2d); null for none (the conv then has a bias). */
  norm?: ((channels: number) => Module) | null;
  /** The activation (default in-place ReLU); null for none. */
  activation?: (() => Module) | null;
}

/**
 * torchvision's `Conv2dNormActivation`: `Sequential(conv, norm, activation)` with padding
 * (k - 1) / 2 · dilation, keys `N.0.weight`, `N.1.weight`, ….
 *
 * @example
 *   conv2dNormActivation(32, 32, { kernelSize: 3, groups: 32, norm: (c) => new BatchNorm2d(c, { eps: 1e-3 }) });
 */
export function conv2dNormActivation(inChannels: number, outChannels: number, options: Conv2dNormActivationOptions = {}): Sequential {
  const { kernelSize = 3, stride = 1, groups = 1, dilation = 1 } = options;
  const norm = options.norm === undefined ? (c: number) => new BatchNorm2d(c) : options.norm;
  const activation = options.activation === undefined ? () => new ReLU({ inplace: true }) : options.activation;
  const padding = Math.floor((kernelSize - 1) / 2) * dilation;
  const layers: Module[] = [new Conv2d(inChannels, outChannels, kernelSize, { stride, padding, dilation, groups, bias: norm === null })];
  if (norm) layers.push(norm(outChannels));
  if (activation) layers.push(activation());
  return new Sequential(layers);
}
