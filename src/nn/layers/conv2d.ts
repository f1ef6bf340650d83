/**
 * 2-D convolution layer (torch.nn.Conv2d): `weight` [out, in / groups, kH, kW] and an
 * optional `bias` [out], initialised as PyTorch does (Kaiming-uniform with a = √5, bias
 * U(±1/√fanIn)).
 *
 * @example
 *   const stem = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
 *   const y = stem.forward(randn([1, 3, 224, 224]));   // [1, 64, 112, 112]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { empty, zeros } from '../../tensor/creation.js';
import { conv2d } from '../functional/conv.js';
import type { Size2 } from '../functional/args.js';
import { Module } from '../module.js';
import { addFlops, flopsCounting } from '../flops.js';
import { kaimingUniform_, uniform_ } from '../init.js';

/** Options of `Conv2d`, with PyTorch's defaults. */
export interface Conv2dLayerOptions {
  /** Step of the kernel over the input (default 1). */
  stride?: Size2;
  /** Zero padding on both sides, or 'same' / 'valid' (default 0). */
  padding?: Size2 | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups; `groups = inChannels` is a depthwise convolution (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

const pairOf = (v: Size2): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * A 2-D convolution layer (torch.nn.Conv2d), initialised as PyTorch does.
 *
 * @example
 *   const stem = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });   // [N, 3, 224, 224] -> [N, 64, 112, 112]
 */
export class Conv2d extends Module {
  /** The kernels [outChannels, inChannels / groups, kH, kW]. */
  declare readonly weight: Tensor;
  /** The bias [outChannels], or null when made with `bias: false`. */
  declare readonly bias: Tensor | null;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output (kernels). */
  readonly outChannels: number;
  /** The kernel's [kH, kW]. */
  readonly kernelSize: [number, number];
  /** Step of the kernel over the input. */
  readonly stride: Size2;
  /** Zero padding on both sides, or 'same' / 'valid'. */
  readonly padding: Size2 | 'same' | 'valid';
  /** Spacing between kernel taps. */
  readonly dilation: Size2;
  /** Channel groups (`inChannels` for a depthwise convolution). */
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dLayerOptions = {}) {
    super();
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true } = options;
    if (inChannels % groups || outChannels % groups) {
      throw new RangeError(`Conv2d: in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${groups})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pairOf(kernelSize);
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.registerParameter('weight', empty([outChannels, inChannels / groups, ...this.kernelSize]));
    this.registerParameter('bias', bias ? empty([outChannels]) : null);
    this.resetParameters();
  }

  /** PyTorch's default initialisation. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const fanIn = (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    if (flopsCounting()) {
      // A FLOP count needs shapes only: skip the arithmetic, pass zeros of the output's shape on.
      const y = zeros(this.outputShape(x.shape), { dtype: x.dtype, device: x.device });
      addFlops(y.numel * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
      return y;
    }
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  /** The output shape for an input shape [N, C, H, W] (or [C, H, W]). */
  outputShape(input: readonly number[]): number[] {
    const lead = input.slice(0, -3);
    const size = input.slice(-2);
    const [s, d] = [pairOf(this.stride), pairOf(this.dilation)];
    const p = this.padding === 'valid' ? [0, 0] : this.padding === 'same' ? null : pairOf(this.padding);
    const out = size.map((n, i) => (p === null ? n : Math.floor((n + 2 * p[i]! - d[i]! * (this.kernelSize[i]! - 1) - 1) / s[i]! + 1)));
    return [...lead, this.outChannels, ...out];
  }
}
