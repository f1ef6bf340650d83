/**
 * VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
 * Recognition", ICLR 2015), with or without BatchNorm, as torchvision builds it: 3x3
 * convolutions and max pooling in `features`, adaptive average pooling to 7x7, and the
 * 4096-4096 `classifier`. torchvision's initialisation (Kaiming-normal convolutions,
 * N(0, 0.01) linear layers).
 *
 * The embedding is the second hidden layer's 4096-d output (classifier.0 – .4); the head is
 * `classifier.5` (dropout) and `classifier.6`.
 *
 * @example
 *   const vgg16bn = new VGG(VGG_LAYERS.D, true, { numClasses: 200 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d } from '../../nn/functional/pooling.js';
import type { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { MaxPool2d } from '../../nn/layers/pooling.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { kaimingNormal_, normal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';

/** Configurations A, B, D, E of the paper: output channels of each conv, 'M' for max pooling. */
export const VGG_LAYERS = {
  /** VGG-11: 8 convolutions. */
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  /** VGG-13: 10 convolutions. */
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  /** VGG-16: 13 convolutions. */
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  /** VGG-19: 16 convolutions. */
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, readonly (number | 'M')[]>;

/**
 * VGG, with or without BatchNorm, as torchvision builds it, with its state-dict names.
 *
 * @example
 *   const vgg16bn = new VGG(VGG_LAYERS.D, true, { numClasses: 200 });
 */
export class VGG extends ImageClassifier {
  /** The 3x3 convolutions (with BatchNorm when built so), ReLUs and max poolings of the configuration. */
  declare readonly features: Sequential;
  /** Linear, ReLU, Dropout twice (the 4096-d hidden layers), then the final Linear (`classifier.6`). */
  declare readonly classifier: Sequential;
  readonly numFeatures = 4096;
  readonly classifierPath = 'classifier.6';

  constructor(layers: readonly (number | 'M')[], batchNorm: boolean, options: ModelOptions) {
    super(options.numClasses);
    const features: Module[] = [];
    let channels = 3;
    for (const v of layers) {
      if (v === 'M') {
        features.push(new MaxPool2d(2, { stride: 2 }));
        continue;
      }
      features.push(new Conv2d(channels, v, 3, { padding: 1 }));
      if (batchNorm) features.push(new BatchNorm2d(v));
      features.push(new ReLU({ inplace: true }));
      channels = v;
    }
    this.registerModule('features', new Sequential(features));
    this.registerModule(
      'classifier',
      new Sequential([
        new Linear(512 * 7 * 7, 4096),
        new ReLU({ inplace: true }),
        new Dropout(0.5),
        new Linear(4096, 4096),
        new ReLU({ inplace: true }),
        new Dropout(0.5),
        options.numClasses > 0 ? new Linear(4096, options.numClasses) : new Identity(),
      ]),
    );
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
        zeros_(m.bias!);
      } else if (m instanceof Linear) {
        normal_(m.weight, 0, 0.01);
        zeros_(m.bias!);
      }
    }
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  /** torchvision pools to 7x7 (not globally) and flattens, then the two hidden layers. */
  override forwardEmbedding(x: Tensor): Tensor {
    return scope(() => this.classifier.forwardRange(adaptiveAvgPool2d(this.forwardFeatures(x), 7).flatten(1), 0, 5));
  }

  override forwardHead(embedding: Tensor): Tensor {
    return this.classifier.forwardRange(embedding, 5);
  }

  protected override headDropout(): Dropout {
    return this.classifier.at(5) as Dropout;
  }
}

const TABLE: [string, keyof typeof VGG_LAYERS][] = [
  ['vgg11', 'A'],
  ['vgg13', 'B'],
  ['vgg16', 'D'],
  ['vgg19', 'E'],
];

export const vggVariants: ModelVariant[] = TABLE.flatMap(([name, cfg]) =>
  [false, true].map((bn) => ({
    name: bn ? `${name}_bn` : name,
    family: 'vgg',
    source: 'torchvision' as const,
    inputSize: [3, 224, 224] as [number, number, number],
    build: (o: ModelOptions) => new VGG(VGG_LAYERS[cfg], bn, o),
  })),
);
