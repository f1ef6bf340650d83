/**
 * Pooling layers (torch.nn.MaxPool2d, AvgPool2d, AdaptiveAvgPool2d): parameter-free, thin
 * wrappers of the functional forms that remember their settings.
 *
 * @example
 *   const pool = new MaxPool2d(3, { stride: 2, padding: 1 });      // ResNet's stem
 *   const gap = new AdaptiveAvgPool2d(1);                          // global average pooling
 */
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AdaptiveSize, type AvgPool2dOptions, type MaxPool2dOptions } from '../functional/pooling.js';
import type { Size2 } from '../functional/args.js';
import { Module } from '../module.js';

/** 2-D max pooling (torch.nn.MaxPool2d): the largest value of each window. */
export class MaxPool2d extends Module {
  /** The window's [h, w] (or one number for a square). */
  readonly kernelSize: Size2;
  /** Stride, padding, dilation and rounding, as `F.maxPool2d` takes them. */
  readonly options: Omit<MaxPool2dOptions, 'returnIndices'>;
  /** `stride` defaults to the kernel size, as in PyTorch. */
  constructor(kernelSize: Size2, options: Omit<MaxPool2dOptions, 'returnIndices'> = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = { ...options };
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/** 2-D average pooling (torch.nn.AvgPool2d): the mean of each window. */
export class AvgPool2d extends Module {
  /** The window's [h, w] (or one number for a square). */
  readonly kernelSize: Size2;
  /** Stride, padding, rounding and divisor, as `F.avgPool2d` takes them. */
  readonly options: AvgPool2dOptions;
  /** `stride` defaults to the kernel size; `countIncludePad` to true, as in PyTorch. */
  constructor(kernelSize: Size2, options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = { ...options };
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/** Average pooling to a fixed output size whatever the input's (torch.nn.AdaptiveAvgPool2d); size 1 is global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  /** The output's [h, w] (one number for a square; null keeps that input dimension). */
  readonly outputSize: AdaptiveSize;
  /** Averages to a fixed [h, w] (a number for square; null keeps that input dimension). */
  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = outputSize;
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
