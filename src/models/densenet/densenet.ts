/**
 * DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017) as
 * torchvision builds densenet121/161/169/201: a 7x7 stem, four dense blocks whose layers
 * (BN → ReLU → 1x1 → BN → ReLU → 3x3, `growthRate` new channels each) see the concatenation
 * of all earlier outputs, transitions (BN → ReLU → 1x1 halving the channels → 2x2 average
 * pool) between them, and `features.norm5` before the ReLU, pooling and `classifier`.
 * State-dict names are torchvision's (`features.denseblock1.denselayer1.norm1.weight`,
 * `features.transition1.conv.weight`).
 *
 * @example
 *   const net = createModel('densenet121', { numClasses: 200 });
 *   const maps = net.forwardFeatures(x);   // [N, 1024, H/32, W/32], after the final ReLU
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../../nn/functional/dropout.js';
import { relu } from '../../nn/functional/activation.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Linear } from '../../nn/layers/linear.js';
import { Identity } from '../../nn/layers/identity.js';
import { AvgPool2d, MaxPool2d } from '../../nn/layers/pooling.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { kaimingNormal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';

/** The architecture of a DenseNet: growth rate, layers per dense block, stem width. */
export interface DenseNetConfig {
  /** Channels each dense layer adds (k in the paper). */
  growthRate: number;
  /** Dense layers in each of the four blocks. */
  blockConfig: [number, number, number, number];
  /** Output channels of the stem convolution. */
  numInitFeatures: number;
  /** Bottleneck width as a multiple of the growth rate (default 4). */
  bnSize?: number;
  /** Dropout after each dense layer while training (default 0). */
  layerDropRate?: number;
}

export const DENSENET: Record<string, DenseNetConfig> = {
  densenet121: { growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64 },
  densenet161: { growthRate: 48, blockConfig: [6, 12, 36, 24], numInitFeatures: 96 },
  densenet169: { growthRate: 32, blockConfig: [6, 12, 32, 32], numInitFeatures: 64 },
  densenet201: { growthRate: 32, blockConfig: [6, 12, 48, 32], numInitFeatures: 64 },
};

/** One dense layer: BN → ReLU → 1x1 (bnSize·k) → BN → ReLU → 3x3 (k) on the concatenated inputs. */
export class DenseLayer extends Module {
  declare readonly norm1: BatchNorm2d;
  declare readonly relu1: ReLU;
  declare readonly conv1: Conv2d;
  declare readonly norm2: BatchNorm2d;
  declare readonly relu2: ReLU;
  declare readonly conv2: Conv2d;
  readonly dropRate: number;

  constructor(inChannels: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    this.dropRate = dropRate;
    this.registerModule('norm1', new BatchNorm2d(inChannels));
    this.registerModule('relu1', new ReLU({ inplace: true }));
    this.registerModule('conv1', new Conv2d(inChannels, bnSize * growthRate, 1, { bias: false }));
    this.registerModule('norm2', new BatchNorm2d(bnSize * growthRate));
    this.registerModule('relu2', new ReLU({ inplace: true }));
    this.registerModule('conv2', new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }));
  }

  /** The `growthRate` new channels from all earlier feature maps of the block. */
  forwardConcat(inputs: Tensor[]): Tensor {
    return scope(() => {
      const joined = inputs.length === 1 ? inputs[0]! : cat(inputs, 1);
      const bottleneck = this.conv1.forward(this.relu1.forward(this.norm1.forward(joined)));
      const out = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneck)));
      return this.dropRate > 0 ? dropout(out, { p: this.dropRate, training: this.training }) : out;
    });
  }

  forward(x: Tensor): Tensor {
    return this.forwardConcat([x]);
  }
}

/** A dense block: layers `denselayer1…n`, output the concatenation of the input and every layer's output. */
export class DenseBlock extends Module {
  readonly outChannels: number;

  constructor(numLayers: number, inChannels: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.registerModule(`denselayer${i + 1}`, new DenseLayer(inChannels + i * growthRate, growthRate, bnSize, dropRate));
    }
    this.outChannels = inChannels + numLayers * growthRate;
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const features = [x];
      for (const layer of this.children() as DenseLayer[]) features.push(layer.forwardConcat(features));
      return cat(features, 1);
    });
  }
}

/** Between blocks: BN → ReLU → 1x1 conv → 2x2 average pool. */
function transition(inChannels: number, outChannels: number): Sequential {
  return new Sequential([
    ['norm', new BatchNorm2d(inChannels)],
    ['relu', new ReLU({ inplace: true })],
    ['conv', new Conv2d(inChannels, outChannels, 1, { bias: false })],
    ['pool', new AvgPool2d(2, { stride: 2 })],
  ]);
}

/**
 * DenseNet-BC as torchvision builds densenet121/161/169/201, with its state-dict names.
 *
 * @example
 *   const net = createModel('densenet121', { numClasses: 200 });
 */
export class DenseNet extends ImageClassifier {
  /** The stem, the four dense blocks, the transitions between them and the final BatchNorm (`norm5`). */
  declare readonly features: Sequential;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly classifier: Linear | Identity;
  readonly numFeatures: number;
  readonly classifierPath = 'classifier';
  /** The architecture it was built from. */
  readonly config: DenseNetConfig;

  constructor(config: DenseNetConfig, options: ModelOptions) {
    super(options.numClasses);
    this.config = config;
    const { growthRate, blockConfig, numInitFeatures, bnSize = 4, layerDropRate = 0 } = config;
    const features = new Sequential([
      ['conv0', new Conv2d(3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false })],
      ['norm0', new BatchNorm2d(numInitFeatures)],
      ['relu0', new ReLU({ inplace: true })],
      ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })],
    ]);
    let channels = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      const block = new DenseBlock(numLayers, channels, growthRate, bnSize, layerDropRate);
      features.append(block, `denseblock${i + 1}`);
      channels = block.outChannels;
      if (i !== blockConfig.length - 1) {
        features.append(transition(channels, Math.floor(channels / 2)), `transition${i + 1}`);
        channels = Math.floor(channels / 2);
      }
    });
    features.append(new BatchNorm2d(channels), 'norm5');
    this.registerModule('features', features);
    this.numFeatures = channels;
    this.registerModule('classifier', options.numClasses > 0 ? new Linear(channels, options.numClasses) : new Identity());
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    // torchvision: Kaiming-normal (fan-in) convolutions, BatchNorm at 1 and 0, zero linear bias.
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight);
      else if (m instanceof Linear && m.bias) zeros_(m.bias);
    }
  }

  /** The final feature map, after norm5 and the ReLU torchvision applies before pooling. */
  forwardFeatures(x: Tensor): Tensor {
    return relu(this.features.forward(x), { inplace: true });
  }
}

export const densenetVariants: ModelVariant[] = Object.entries(DENSENET).map(([name, config]) => ({
  name,
  family: 'densenet',
  source: 'torchvision',
  inputSize: [3, 224, 224],
  build: (options) => new DenseNet(config, options),
}));
