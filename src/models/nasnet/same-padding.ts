/**
 * TensorFlow's 'SAME' padding, as timm's `padding='same'` builds it for NASNet: where the
 * padding is symmetric and static (stride 1, odd kernel) an ordinary padded layer; otherwise
 * the input is padded at run time by ((⌈i/s⌉ − 1)·s + (k − 1)·d + 1 − i), the odd pixel going
 * to the bottom/right (timm's Conv2dSame, MaxPool2dSame — padded with −∞ — and
 * AvgPool2dSame — padded with zeros that DO count in the average, whatever
 * `countIncludePad` says, as in timm).
 *
 * @example
 *   const dw = sameConv2d(84, 84, 5, { stride: 2, groups: 84 });   // Conv2dSame
 *   const pool = samePool2d('max', 3, 2);                          // MaxPool2dSame
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pad } from '../../nn/functional/padding.js';
import { avgPool2d, maxPool2d } from '../../nn/functional/pooling.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { AvgPool2d, MaxPool2d } from '../../nn/layers/pooling.js';

/**
 * [left, right, top, bottom] padding that makes a k/s window cover an [h, w] input as
 * TensorFlow's 'SAME' does.
 * @example samePadding([31, 31], 3, 2); // [1, 1, 1, 1]
 */
export function samePadding(hw: readonly number[], kernelSize: number, stride: number, dilation = 1): [number, number, number, number] {
  const total = (i: number) => Math.max((Math.ceil(i / stride) - 1) * stride + (kernelSize - 1) * dilation + 1 - i, 0);
  const ph = total(hw[0]!);
  const pw = total(hw[1]!);
  return [Math.floor(pw / 2), pw - Math.floor(pw / 2), Math.floor(ph / 2), ph - Math.floor(ph / 2)];
}

/**
 * Whether 'SAME' padding is the same on both sides whatever the input (timm's is_static_pad).
 * @example isStaticSame(3, 1); // true: padding 1 all round
 */
export function isStaticSame(kernelSize: number, stride: number, dilation = 1): boolean {
  return stride === 1 && (dilation * (kernelSize - 1)) % 2 === 0;
}

function padSame(x: Tensor, kernelSize: number, stride: number, value = 0): Tensor {
  const p = samePadding(x.shape.slice(-2), kernelSize, stride);
  return p.every((v) => v === 0) ? x : pad(x, p, { value });
}

/** A convolution padded at run time to TensorFlow's 'SAME' (timm's Conv2dSame); same parameters as Conv2d. */
export class Conv2dSame extends Conv2d {
  override forward(x: Tensor): Tensor {
    return scope(() => super.forward(padSame(x, this.kernelSize[0], this.stride as number)));
  }
}

export interface SameConvOptions {
  stride?: number;
  groups?: number;
  /** Default false (timm's create_conv2d). */
  bias?: boolean;
}

/**
 * A square convolution with 'SAME' padding: Conv2d when static, Conv2dSame otherwise.
 * @example sameConv2d(42, 42, 5, { stride: 2, groups: 42 });
 */
export function sameConv2d(inChannels: number, outChannels: number, kernelSize: number, options: SameConvOptions = {}): Conv2d {
  const { stride = 1, groups = 1, bias = false } = options;
  if (isStaticSame(kernelSize, stride)) return new Conv2d(inChannels, outChannels, kernelSize, { stride, padding: (kernelSize - 1) / 2, groups, bias });
  return new Conv2dSame(inChannels, outChannels, kernelSize, { stride, groups, bias });
}

/** Max pooling padded at run time with −∞ to 'SAME' (timm's MaxPool2dSame). */
export class MaxPool2dSame extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return scope(() => maxPool2d(padSame(x, this.kernelSize, this.stride, -Infinity), this.kernelSize, { stride: this.stride }));
  }
}

/** Average pooling of an input zero-padded at run time to 'SAME'; the zeros count (timm's AvgPool2dSame). */
export class AvgPool2dSame extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return scope(() => avgPool2d(padSame(x, this.kernelSize, this.stride), this.kernelSize, { stride: this.stride }));
  }
}

/**
 * A pooling layer with 'SAME' padding (timm's create_pool2d): static padding (average over
 * valid pixels only) for stride 1, run-time padding otherwise.
 * @example samePool2d('avg', 3, 1);   // AvgPool2d(3, stride 1, padding 1, countIncludePad false)
 */
export function samePool2d(kind: 'max' | 'avg', kernelSize: number, stride: number): Module {
  if (isStaticSame(kernelSize, stride)) {
    const padding = (kernelSize - 1) / 2;
    return kind === 'max' ? new MaxPool2d(kernelSize, { stride, padding }) : new AvgPool2d(kernelSize, { stride, padding, countIncludePad: false });
  }
  return kind === 'max' ? new MaxPool2dSame(kernelSize, stride) : new AvgPool2dSame(kernelSize, stride);
}
