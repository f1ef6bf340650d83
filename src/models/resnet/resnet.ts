/**
 * ResNet (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016) and the
 * variants built from the same stages: ResNeXt (grouped 3x3), Wide ResNet (wider
 * bottlenecks), SE-ResNet (squeeze-excite in each block), SK-ResNet (selective-kernel 3x3s).
 * State-dict names are torchvision's (`conv1`, `bn1`, `layer1.0.conv1`, `fc`), which timm's
 * ResNet shares; SK blocks use timm's SKNet names.
 *
 * One constructor serves every variant; `variants.ts` holds the table of configurations.
 *
 * @example
 *   const r50 = new ResNet({ block: 'bottleneck', layers: [3, 4, 6, 3] }, { numClasses: 200 });
 *   const feats = r50.forwardFeatures(x);     // [N, 2048, H/32, W/32]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { ReLU } from '../../nn/layers/activations.js';
import { MaxPool2d } from '../../nn/layers/pooling.js';
import { Linear } from '../../nn/layers/linear.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential, runChain } from '../../nn/layers/sequential.js';
import { kaimingNormal_, zeros_ } from '../../nn/init.js';
import type { AttentionKind } from '../../nn/attention/index.js';
import type { SelectiveKernelOptions } from '../../nn/attention/selective-kernel.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions } from '../variant.js';
import { BLOCKS, ResidualBlock, type BlockKind } from './blocks.js';

/** The architecture of a ResNet-family model: block type, depth per stage, width and attention. */
export interface ResNetConfig {
  /** 'basic' (two 3x3s, ResNet-18/34) or 'bottleneck' (1x1-3x3-1x1, ResNet-50 and deeper). */
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. */
  layers: [number, number, number, number];
  /** ResNeXt cardinality (default 1). */
  groups?: number;
  /** Channels per group of the bottleneck (default 64; Wide ResNet: 128). */
  widthPerGroup?: number;
  /** Attention in every block; 'sk' switches to selective-kernel blocks. */
  attention?: AttentionKind;
  /** Options of the attention modules, as `attention.create` takes them for the kind. */
  attentionOptions?: Record<string, unknown>;
  /** SelectiveKernel options of 'sk' blocks (timm's sk_kwargs). */
  sk?: SelectiveKernelOptions;
  /**
   * Initialisation: torchvision's (Kaiming-normal convs, default Linear) or timm's (the same,
   * plus zeroed last-BatchNorm weights in each block when `zeroInitLast`).
   */
  zeroInitLast?: boolean;
}

/**
 * ResNet and the variants built from its stages (ResNeXt, Wide ResNet, SE-, GE-, CBAM- and
 * SK-ResNets), with torchvision's state-dict names. Usually made by name with `createModel`.
 *
 * @example
 *   const r50 = new ResNet({ block: 'bottleneck', layers: [3, 4, 6, 3] }, { numClasses: 200 });
 */
export class ResNet extends ImageClassifier {
  /** The stem's 7x7 convolution, stride 2. */
  declare readonly conv1: Conv2d;
  /** BatchNorm after the stem convolution. */
  declare readonly bn1: BatchNorm2d;
  /** The stem's ReLU. */
  declare readonly relu: ReLU;
  /** The stem's 3x3 max pooling, stride 2. */
  declare readonly maxpool: MaxPool2d;
  /** Stage 1: blocks at 1/4 of the input size, 64 planes. */
  declare readonly layer1: Sequential;
  /** Stage 2: blocks at 1/8, 128 planes. */
  declare readonly layer2: Sequential;
  /** Stage 3: blocks at 1/16, 256 planes. */
  declare readonly layer3: Sequential;
  /** Stage 4: blocks at 1/32, 512 planes. */
  declare readonly layer4: Sequential;
  /** The classifier (an `Identity` when made with `numClasses: 0`). */
  declare readonly fc: Linear | Identity;
  readonly numFeatures: number;
  readonly classifierPath = 'fc';
  /** The architecture it was built from. */
  readonly config: ResNetConfig;

  constructor(config: ResNetConfig, options: ModelOptions) {
    super(options.numClasses);
    this.config = config;
    const attention = options.attention ?? config.attention;
    const attentionOptions = options.attentionOptions ?? config.attentionOptions;
    const kind: BlockKind = attention === 'sk' ? (config.block === 'basic' ? 'skBasic' : 'skBottleneck') : config.block;
    const Block = BLOCKS[kind];
    this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(64));
    this.registerModule('relu', new ReLU({ inplace: true }));
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inChannels = 64;
    [64, 128, 256, 512].forEach((planes, i) => {
      const blocks: ResidualBlock[] = [];
      for (let b = 0; b < config.layers[i]!; b++) {
        const block = new Block(inChannels, planes, {
          stride: b === 0 && i > 0 ? 2 : 1,
          groups: config.groups,
          baseWidth: config.widthPerGroup,
          attention: attention === 'sk' ? null : attention,
          attentionOptions,
          sk: config.sk,
        });
        inChannels = block.outChannels;
        blocks.push(block);
      }
      this.registerModule(`layer${i + 1}`, new Sequential(blocks));
    });
    this.numFeatures = inChannels;
    this.registerModule('fc', options.numClasses > 0 ? new Linear(inChannels, options.numClasses) : new Identity());
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    this.initWeights(config.zeroInitLast ?? false);
  }

  /** torchvision/timm: Kaiming-normal (fan-out, ReLU) convolutions, BatchNorm at 1 and 0. */
  private initWeights(zeroInitLast: boolean): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
    }
    if (zeroInitLast) {
      for (const m of this.modules()) if (m instanceof ResidualBlock) zeros_(m.lastNorm().weight!);
    }
  }

  forwardFeatures(x: Tensor): Tensor {
    // Each stage's output freed once the next has read it (51 MB apiece early on at batch 16).
    return scope(() => runChain([this.conv1, this.bn1, this.relu, this.maxpool, this.layer1, this.layer2, this.layer3, this.layer4], x));
  }
}
