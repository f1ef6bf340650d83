/**
 * MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
 * CVPR 2018) as torchvision builds it: inverted residual blocks (1x1 expand → 3x3
 * depthwise → 1x1 linear projection, ReLU6) in `features`, a 1280-wide last conv, and
 * `classifier` = Dropout(0.2) + Linear. State-dict names are torchvision's
 * (`features.2.conv.0.0.weight`).
 *
 * @example
 *   const model = new MobileNetV2({ numClasses: 200 });
 *   const emb = model.forwardEmbedding(x);   // [N, 1280]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU6 } from '../../nn/layers/activations.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { conv2dNormActivation } from '../../nn/layers/conv-norm-act.js';
import { makeDivisible, roundHalfEven } from '../../nn/divisible.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { initMobile } from './init.js';

/** Rows of the paper's Table 2: expansion t, output channels c, repeats n, first stride s. */
const SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** torchvision's MobileNetV2 `InvertedResidual`: its layers live in `conv`. */
export class InvertedResidualV2 extends Module {
  /** The layers: 1x1 expansion (when the ratio is not 1), 3x3 depthwise, 1x1 linear projection + BatchNorm. */
  declare readonly conv: Sequential;
  /** Whether the input is added to the output (stride 1 and equal widths). */
  readonly useResidual: boolean;

  constructor(inChannels: number, outChannels: number, stride: number, expandRatio: number) {
    super();
    const hidden = roundHalfEven(inChannels * expandRatio);
    this.useResidual = stride === 1 && inChannels === outChannels;
    const relu6 = () => new ReLU6({ inplace: true });
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(conv2dNormActivation(inChannels, hidden, { kernelSize: 1, activation: relu6 }));
    layers.push(
      conv2dNormActivation(hidden, hidden, { stride, groups: hidden, activation: relu6 }),
      new Conv2d(hidden, outChannels, 1, { bias: false }),
      new BatchNorm2d(outChannels),
    );
    this.registerModule('conv', new Sequential(layers));
  }

  forward(x: Tensor): Tensor {
    if (!this.useResidual) return this.conv.forward(x);
    return scope(() => this.conv.forward(x).add_(x));
  }
}

/**
 * MobileNetV2 as torchvision builds it, with its state-dict names.
 *
 * @example
 *   const model = new MobileNetV2({ numClasses: 200 });
 */
export class MobileNetV2 extends ImageClassifier {
  /** The stem, the inverted residual blocks and the 1280-wide last convolution. */
  declare readonly features: Sequential;
  /** Dropout, then the final Linear (`classifier.1`). */
  declare readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly classifierPath = 'classifier.1';

  constructor(options: ModelOptions, widthMult = 1) {
    super(options.numClasses);
    let input = makeDivisible(32 * widthMult, 8);
    const last = makeDivisible(1280 * Math.max(1, widthMult), 8);
    const relu6 = () => new ReLU6({ inplace: true });
    const features: Module[] = [conv2dNormActivation(3, input, { stride: 2, activation: relu6 })];
    for (const [t, c, n, s] of SETTING) {
      const out = makeDivisible(c * widthMult, 8);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidualV2(input, out, i === 0 ? s : 1, t));
        input = out;
      }
    }
    features.push(conv2dNormActivation(input, last, { kernelSize: 1, activation: relu6 }));
    this.registerModule('features', new Sequential(features));
    this.numFeatures = last;
    this.registerModule(
      'classifier',
      new Sequential([new Dropout(options.dropRate ?? 0.2), options.numClasses > 0 ? new Linear(last, options.numClasses) : new Identity()]),
    );
    initMobile(this);
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  override forwardHead(embedding: Tensor): Tensor {
    return this.classifier.forward(embedding);
  }

  protected override headDropout(): Dropout {
    return this.classifier.at(0) as Dropout;
  }
}

export const mobilenetV2Variants: ModelVariant[] = [
  { name: 'mobilenet_v2', family: 'mobilenet', source: 'torchvision', inputSize: [3, 224, 224], build: (o) => new MobileNetV2(o) },
];
