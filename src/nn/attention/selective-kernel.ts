/**
 * Selective Kernel convolution — Li, Wang, Hu & Yang, "Selective Kernel Networks",
 * CVPR 2019 (arXiv:1903.06586) — in timm's `SelectiveKernel` form: several branches with
 * different receptive fields (a 5x5 kernel becomes a dilated 3x3 with `keep3x3`), fused by
 * attention: the branch sum is pooled, squeezed by `attn.fc_reduce` + BN + ReLU, expanded by
 * `attn.fc_select` to one logit per branch and channel, softmaxed across branches, and the
 * branches are summed with those weights.
 *
 * With `splitInput` (timm's default) each branch sees its own slice of the input channels,
 * keeping the parameter count near a plain 3x3 convolution. State-dict names are timm's:
 * `paths.0.conv.weight`, `paths.0.bn.*`, `attn.fc_reduce.weight`, `attn.bn.*`,
 * `attn.fc_select.weight`. It replaces a convolution (it takes stride and changes width), so
 * ResNet's `attention: 'sk'` swaps it in for the 3x3 conv.
 *
 * @example
 *   const sk = new SelectiveKernel(64, 64, { stride: 2 });
 *   const y = sk.forward(x);                 // [N, 64, H, W] -> [N, 64, H/2, W/2]
 */
import { stack } from '../../tensor/join.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { softmax } from '../functional/activation.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv2d.js';
import { BatchNorm2d } from '../layers/batch-norm.js';
import { ReLU } from '../layers/activations.js';
import { ConvNormAct } from '../layers/conv-norm-act.js';
import { ModuleList } from '../layers/module-list.js';
import { makeDivisible } from '../divisible.js';
import { globalAvgPool2d } from '../functional/pooling.js';

/** The branch-attention head of a Selective Kernel unit (timm `SelectiveKernelAttn`). */
export class SelectiveKernelAttn extends Module {
  /** 1x1 convolution from the channels to the attention width. */
  declare readonly fc_reduce: Conv2d;
  /** BatchNorm after `fc_reduce`. */
  declare readonly bn: BatchNorm2d;
  /** ReLU after the BatchNorm. */
  declare readonly act: ReLU;
  /** 1x1 convolution to one logit per branch and channel. */
  declare readonly fc_select: Conv2d;
  /** How many branches the weights are for. */
  readonly numPaths: number;

  constructor(channels: number, numPaths = 2, attnChannels = 32) {
    super();
    this.numPaths = numPaths;
    this.registerModule('fc_reduce', new Conv2d(channels, attnChannels, 1, { bias: false }));
    this.registerModule('bn', new BatchNorm2d(attnChannels));
    this.registerModule('act', new ReLU({ inplace: true }));
    this.registerModule('fc_select', new Conv2d(attnChannels, channels * numPaths, 1, { bias: false }));
  }

  /** `x` [B, paths, C, H, W] → branch weights [B, paths, C, 1, 1] (softmax over paths). */
  forward(x: Tensor): Tensor {
    return scope(() => {
      let a = globalAvgPool2d(x.sum(1));
      a = this.fc_select.forward(this.act.forward(this.bn.forward(this.fc_reduce.forward(a))));
      const [b, c, h, w] = a.shape as [number, number, number, number];
      return softmax(a.view(b, this.numPaths, c / this.numPaths, h, w), 1);
    });
  }
}

/** Options of `SelectiveKernel`, with timm's defaults. */
export interface SelectiveKernelOptions {
  /** One kernel per branch (default [3, 5]). */
  kernelSize?: number | number[];
  /** Step of every branch (default 1). */
  stride?: number;
  /** Dilation of the unit as a whole (default 1). */
  dilation?: number;
  /** Channel groups of each branch's convolution (default 1). */
  groups?: number;
  /** Attention width: out·rdRatio rounded to rdDivisor (defaults 1/16 and 8), or rdChannels. */
  rdRatio?: number;
  /** Attention width; overrides rdRatio. */
  rdChannels?: number;
  /** Round the attention width to a multiple of this (default 8). */
  rdDivisor?: number;
  /** Replace k×k kernels by 3x3 ones dilated to the same reach (default true). */
  keep3x3?: boolean;
  /** Give each branch its own slice of the input channels (default true). */
  splitInput?: boolean;
}

/**
 * A Selective Kernel convolution (timm's `SelectiveKernel`): branches with different receptive
 * fields whose outputs are mixed by learnt, input-dependent weights. It replaces a 3x3
 * convolution (it takes a stride and may change the width).
 *
 * @example
 *   const sk = new SelectiveKernel(64, 64, { stride: 2 });   // [N, 64, H, W] -> [N, 64, H/2, W/2]
 */
export class SelectiveKernel extends Module {
  /** The branches, each a convolution + BatchNorm + ReLU. */
  declare readonly paths: ModuleList<ConvNormAct>;
  /** The head that computes the branch weights. */
  declare readonly attn: SelectiveKernelAttn;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** Whether each branch sees its own slice of the input channels. */
  readonly splitInput: boolean;

  constructor(inChannels: number, outChannels = inChannels, options: SelectiveKernelOptions = {}) {
    super();
    const { stride = 1, dilation = 1, rdRatio = 1 / 16, rdDivisor = 8, keep3x3 = true, splitInput = true } = options;
    let kernels = options.kernelSize ?? [3, 5];
    if (!Array.isArray(kernels)) kernels = [kernels, kernels];
    for (const k of kernels) if (k < 3 || k % 2 === 0) throw new RangeError(`SelectiveKernel: kernels must be odd and >= 3, got ${k}`);
    const dilations = keep3x3 ? kernels.map((k) => Math.floor((dilation * (k - 1)) / 2)) : kernels.map(() => dilation);
    if (keep3x3) kernels = kernels.map(() => 3);
    const numPaths = kernels.length;
    if (splitInput && inChannels % numPaths) throw new RangeError(`SelectiveKernel: ${inChannels} input channels do not split into ${numPaths} paths`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.splitInput = splitInput;
    const pathIn = splitInput ? inChannels / numPaths : inChannels;
    const groups = Math.min(outChannels, options.groups ?? 1);
    this.registerModule('paths', new ModuleList(kernels.map((k, i) => new ConvNormAct(pathIn, outChannels, k, { stride, dilation: dilations[i], groups }))));
    const attnChannels = options.rdChannels || makeDivisible(outChannels * rdRatio, rdDivisor);
    this.registerModule('attn', new SelectiveKernelAttn(outChannels, numPaths, attnChannels));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const n = this.paths.length;
      const inputs = this.splitInput ? x.split(this.inChannels / n, 1) : this.paths.map(() => x);
      const branches = stack(
        this.paths.map((p, i) => p.forward(inputs[i]!)),
        1,
      );
      return branches.mul(this.attn.forward(branches)).sum(1);
    });
  }
}
