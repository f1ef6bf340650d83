/**
 * Residual blocks of the ResNet family, with torchvision's and timm's state-dict names:
 *
 * - `BasicBlock` (ResNet-18/34): conv1 3x3 → bn1 → relu → conv2 3x3 → bn2 [→ se] + shortcut → relu
 * - `Bottleneck` (ResNet-50+, ResNeXt, Wide ResNet): 1x1 → 3x3 (stride, groups) → 1x1 ×4 [→ se]
 * - `SelectiveKernelBasic` / `SelectiveKernelBottleneck` (timm's SKNet blocks): the 3x3
 *   convolution is a `SelectiveKernel`, the other convolutions are timm `ConvNormAct`s
 *   (`conv2.conv`, `conv2.bn`).
 *
 * The optional attention module sits after the last BatchNorm, before the residual addition,
 * under the name `se` whatever its kind (timm's convention: `layer1.0.se.fc1.weight`).
 * The shortcut projection is `downsample` = Sequential(1x1 conv, BatchNorm).
 *
 * @example
 *   const block = new Bottleneck(256, 128, { stride: 2, attention: 'se' });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../nn/functional/activation.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential, runChain } from '../../nn/layers/sequential.js';
import { ConvNormAct } from '../../nn/layers/conv-norm-act.js';
import { create as createAttention, type AttentionKind } from '../../nn/attention/index.js';
import { SelectiveKernel, type SelectiveKernelOptions } from '../../nn/attention/selective-kernel.js';

/** Options of the residual blocks, as `ResNet` passes them from its configuration. */
export interface BlockOptions {
  /** Stride of the block's 3x3 convolution and of its shortcut (default 1; 2 halves the size). */
  stride?: number;
  /** Convolution groups of the 3x3 (ResNeXt cardinality; default 1). */
  groups?: number;
  /** Channels per group (default 64; 128 makes a Wide ResNet-50-2). */
  baseWidth?: number;
  /** Channel attention after the last norm ('se', 'ge', 'cbam'; 'sk' uses the SK blocks). */
  attention?: Exclude<AttentionKind, 'sk'> | null;
  /** Options of the attention module, as `attention.create` takes them for its kind. */
  attentionOptions?: Record<string, unknown>;
  /** Options of the SelectiveKernel (SK blocks only). */
  sk?: SelectiveKernelOptions;
}

/** A residual block: `forward` adds the (projected) input to `residual(x)` and applies ReLU. */
export abstract class ResidualBlock extends Module {
  /** The shortcut projection, Sequential(1x1 conv, BatchNorm), where the stride or width changes; undefined where the shortcut is the input itself. */
  declare readonly downsample: Sequential | undefined;
  /** The attention module after the last norm (named `se` whatever its kind, as timm does); undefined without attention. */
  declare readonly se: Module | undefined;
  /** Output channels. */
  abstract readonly outChannels: number;
  /** The norm whose weight timm zero-initialises so the block starts as the identity. */
  abstract lastNorm(): BatchNorm2d;
  /** The block's residual branch, without the attention module and the shortcut. */
  protected abstract residual(x: Tensor): Tensor;

  /** Registers the attention module and the shortcut projection; subclasses call it at the end of their constructor. */
  protected finish(inChannels: number, outChannels: number, options: BlockOptions): void {
    if (options.attention) this.registerModule('se', createAttention(options.attention, outChannels, options.attentionOptions ?? {}));
    const stride = options.stride ?? 1;
    if (stride !== 1 || inChannels !== outChannels) {
      this.registerModule('downsample', new Sequential([new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels)]));
    }
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      let out = this.residual(x);
      if (this.se) out = this.se.forward(out);
      const shortcut = this.downsample ? this.downsample.forward(x) : x;
      return relu(out.add_(shortcut), { inplace: true });
    });
  }
}

/** ResNet-18/34's block: two 3x3 convolutions with BatchNorm, plus the shortcut. */
export class BasicBlock extends ResidualBlock {
  /** Output channels per `planes`: 1. */
  static readonly expansion = 1;
  /** The first 3x3 convolution (carries the stride). */
  declare readonly conv1: Conv2d;
  /** BatchNorm after `conv1`. */
  declare readonly bn1: BatchNorm2d;
  /** The ReLU, used after `bn1` and after the addition. */
  declare readonly relu: ReLU;
  /** The second 3x3 convolution. */
  declare readonly conv2: Conv2d;
  /** BatchNorm after `conv2`: the block's last norm. */
  declare readonly bn2: BatchNorm2d;
  readonly outChannels: number;

  constructor(inChannels: number, planes: number, options: BlockOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    if ((options.groups ?? 1) !== 1 || (options.baseWidth ?? 64) !== 64) throw new Error('BasicBlock only supports groups=1 and baseWidth=64');
    this.outChannels = planes;
    this.registerModule('conv1', new Conv2d(inChannels, planes, 3, { stride, padding: 1, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('relu', new ReLU({ inplace: true }));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.finish(inChannels, planes, options);
  }

  lastNorm(): BatchNorm2d {
    return this.bn2;
  }

  // runChain frees each intermediate once the next layer has read it (autograd keeps what it
  // saved), so a block holds one activation at a time, not all five until it returns.
  protected residual(x: Tensor): Tensor {
    return runChain([this.conv1, this.bn1, this.relu, this.conv2, this.bn2], x);
  }
}

/** ResNet-50 and deeper, ResNeXt and Wide ResNet's block: 1x1 reduce, 3x3 (stride, groups), 1x1 expand by 4, plus the shortcut. */
export class Bottleneck extends ResidualBlock {
  /** Output channels per `planes`: 4. */
  static readonly expansion = 4;
  /** The 1x1 convolution into the bottleneck width. */
  declare readonly conv1: Conv2d;
  /** BatchNorm after `conv1`. */
  declare readonly bn1: BatchNorm2d;
  /** The 3x3 convolution (carries the stride and the groups). */
  declare readonly conv2: Conv2d;
  /** BatchNorm after `conv2`. */
  declare readonly bn2: BatchNorm2d;
  /** The 1x1 convolution out to planes × 4 channels. */
  declare readonly conv3: Conv2d;
  /** BatchNorm after `conv3`: the block's last norm. */
  declare readonly bn3: BatchNorm2d;
  /** The ReLU, used after `bn1`, `bn2` and the addition. */
  declare readonly relu: ReLU;
  readonly outChannels: number;

  constructor(inChannels: number, planes: number, options: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64 } = options;
    const width = Math.floor(planes * (baseWidth / 64)) * groups;
    this.outChannels = planes * Bottleneck.expansion;
    this.registerModule('conv1', new Conv2d(inChannels, width, 1, { bias: false }));
    this.registerModule('bn1', new BatchNorm2d(width));
    this.registerModule('conv2', new Conv2d(width, width, 3, { stride, padding: 1, groups, bias: false }));
    this.registerModule('bn2', new BatchNorm2d(width));
    this.registerModule('conv3', new Conv2d(width, this.outChannels, 1, { bias: false }));
    this.registerModule('bn3', new BatchNorm2d(this.outChannels));
    this.registerModule('relu', new ReLU({ inplace: true }));
    this.finish(inChannels, this.outChannels, options);
  }

  lastNorm(): BatchNorm2d {
    return this.bn3;
  }

  protected residual(x: Tensor): Tensor {
    return runChain([this.conv1, this.bn1, this.relu, this.conv2, this.bn2, this.relu, this.conv3, this.bn3], x);
  }
}

/** timm's SKNet basic block: a Selective Kernel unit in place of the first 3x3, then a 3x3 conv + BatchNorm. */
export class SelectiveKernelBasic extends ResidualBlock {
  /** Output channels per `planes`: 1. */
  static readonly expansion = 1;
  /** The Selective Kernel unit (carries the stride). */
  declare readonly conv1: SelectiveKernel;
  /** The 3x3 convolution + BatchNorm (no activation). */
  declare readonly conv2: ConvNormAct;
  readonly outChannels: number;

  constructor(inChannels: number, planes: number, options: BlockOptions = {}) {
    super();
    if ((options.groups ?? 1) !== 1 || (options.baseWidth ?? 64) !== 64) throw new Error('SelectiveKernelBasic only supports groups=1 and baseWidth=64');
    this.outChannels = planes;
    this.registerModule('conv1', new SelectiveKernel(inChannels, planes, { ...options.sk, stride: options.stride ?? 1 }));
    this.registerModule('conv2', new ConvNormAct(planes, planes, 3, { act: null }));
    this.finish(inChannels, planes, options);
  }

  lastNorm(): BatchNorm2d {
    return this.conv2.bn;
  }

  protected residual(x: Tensor): Tensor {
    return this.conv2.forward(this.conv1.forward(x));
  }
}

/** timm's SKNet bottleneck: 1x1 conv, a Selective Kernel unit in place of the 3x3, 1x1 conv out to planes × 4. */
export class SelectiveKernelBottleneck extends ResidualBlock {
  /** Output channels per `planes`: 4. */
  static readonly expansion = 4;
  /** The 1x1 convolution + BatchNorm + ReLU into the bottleneck width. */
  declare readonly conv1: ConvNormAct;
  /** The Selective Kernel unit (carries the stride and the groups). */
  declare readonly conv2: SelectiveKernel;
  /** The 1x1 convolution + BatchNorm out to planes × 4 channels (no activation). */
  declare readonly conv3: ConvNormAct;
  readonly outChannels: number;

  constructor(inChannels: number, planes: number, options: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64 } = options;
    const width = Math.floor(planes * (baseWidth / 64)) * groups;
    this.outChannels = planes * SelectiveKernelBottleneck.expansion;
    this.registerModule('conv1', new ConvNormAct(inChannels, width, 1));
    this.registerModule('conv2', new SelectiveKernel(width, width, { ...options.sk, stride, groups }));
    this.registerModule('conv3', new ConvNormAct(width, this.outChannels, 1, { act: null }));
    this.finish(inChannels, this.outChannels, options);
  }

  lastNorm(): BatchNorm2d {
    return this.conv3.bn;
  }

  protected residual(x: Tensor): Tensor {
    return this.conv3.forward(this.conv2.forward(this.conv1.forward(x)));
  }
}

/** The block classes by kind, with their channel expansion. */
export const BLOCKS = {
  basic: BasicBlock,
  bottleneck: Bottleneck,
  skBasic: SelectiveKernelBasic,
  skBottleneck: SelectiveKernelBottleneck,
} as const;

export type BlockKind = keyof typeof BLOCKS;
