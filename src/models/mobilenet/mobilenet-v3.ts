/**
 * MobileNetV3 (Howard et al., "Searching for MobileNetV3", ICCV 2019), large and small, as
 * torchvision builds them: inverted residuals with optional squeeze-excite (hard-sigmoid
 * gate) and ReLU or hard-swish, a last 1x1 conv, and `classifier` = Linear → Hardswish →
 * Dropout → Linear. BatchNorm eps 1e-3, momentum 0.01. State-dict names are torchvision's
 * (`features.4.block.2.fc1.weight`).
 *
 * The embedding is the pre-logits layer's output (1280 or 1024 wide, classifier.0 – .1); the
 * head is classifier.2 (dropout) and classifier.3.
 *
 * @example
 *   const model = new MobileNetV3('large', { numClasses: 200 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Hardswish, ReLU } from '../../nn/layers/activations.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { conv2dNormActivation } from '../../nn/layers/conv-norm-act.js';
import { SqueezeExcite } from '../../nn/attention/squeeze-excite.js';
import { makeDivisible } from '../../nn/divisible.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { initMobile } from './init.js';

/** One block: input, kernel, expanded and output channels, SE, hard-swish, stride. */
type Row = [number, number, number, number, boolean, boolean, number];

/** Tables 1 and 2 of the paper ("HS" = hard-swish, else ReLU). */
const SETTINGS: Record<'large' | 'small', { rows: Row[]; lastChannel: number }> = {
  large: {
    rows: [
      [16, 3, 16, 16, false, false, 1],
      [16, 3, 64, 24, false, false, 2],
      [24, 3, 72, 24, false, false, 1],
      [24, 5, 72, 40, true, false, 2],
      [40, 5, 120, 40, true, false, 1],
      [40, 5, 120, 40, true, false, 1],
      [40, 3, 240, 80, false, true, 2],
      [80, 3, 200, 80, false, true, 1],
      [80, 3, 184, 80, false, true, 1],
      [80, 3, 184, 80, false, true, 1],
      [80, 3, 480, 112, true, true, 1],
      [112, 3, 672, 112, true, true, 1],
      [112, 5, 672, 160, true, true, 2],
      [160, 5, 960, 160, true, true, 1],
      [160, 5, 960, 160, true, true, 1],
    ],
    lastChannel: 1280,
  },
  small: {
    rows: [
      [16, 3, 16, 16, true, false, 2],
      [16, 3, 72, 24, false, false, 2],
      [24, 3, 88, 24, false, false, 1],
      [24, 5, 96, 40, true, true, 2],
      [40, 5, 240, 40, true, true, 1],
      [40, 5, 240, 40, true, true, 1],
      [40, 5, 120, 48, true, true, 1],
      [48, 5, 144, 48, true, true, 1],
      [48, 5, 288, 96, true, true, 2],
      [96, 5, 576, 96, true, true, 1],
      [96, 5, 576, 96, true, true, 1],
    ],
    lastChannel: 1024,
  },
};

const bn = (c: number) => new BatchNorm2d(c, { eps: 0.001, momentum: 0.01 });

/** torchvision's MobileNetV3 `InvertedResidual`: its layers live in `block`. */
export class InvertedResidualV3 extends Module {
  /** The layers: 1x1 expansion (when wider), depthwise k×k, optional squeeze-excite, 1x1 projection. */
  declare readonly block: Sequential;
  /** Whether the input is added to the output (stride 1 and equal widths). */
  readonly useResidual: boolean;

  /** @internal `MobileNetV3` builds its blocks from the rows of its architecture table. */
  constructor([input, kernel, expanded, out, useSe, useHs, stride]: Row) {
    super();
    this.useResidual = stride === 1 && input === out;
    const activation = () => (useHs ? new Hardswish({ inplace: true }) : new ReLU({ inplace: true }));
    const layers: Module[] = [];
    if (expanded !== input) layers.push(conv2dNormActivation(input, expanded, { kernelSize: 1, norm: bn, activation }));
    layers.push(conv2dNormActivation(expanded, expanded, { kernelSize: kernel, stride, groups: expanded, norm: bn, activation }));
    if (useSe) layers.push(new SqueezeExcite(expanded, { rdChannels: makeDivisible(Math.floor(expanded / 4), 8), gate: 'hardsigmoid' }));
    layers.push(conv2dNormActivation(expanded, out, { kernelSize: 1, norm: bn, activation: null }));
    this.registerModule('block', new Sequential(layers));
  }

  forward(x: Tensor): Tensor {
    if (!this.useResidual) return this.block.forward(x);
    return scope(() => this.block.forward(x).add_(x));
  }
}

/**
 * MobileNetV3, large or small, as torchvision builds them, with its state-dict names.
 *
 * @example
 *   const model = new MobileNetV3('large', { numClasses: 200 });
 */
export class MobileNetV3 extends ImageClassifier {
  /** The stem, the inverted residual blocks and the last 1x1 convolution. */
  declare readonly features: Sequential;
  /** Linear, Hardswish (the pre-logits layer), Dropout, then the final Linear (`classifier.3`). */
  declare readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly classifierPath = 'classifier.3';

  constructor(size: 'large' | 'small', options: ModelOptions) {
    super(options.numClasses);
    const { rows, lastChannel } = SETTINGS[size];
    const first = rows[0]![0];
    const features: Module[] = [conv2dNormActivation(3, first, { stride: 2, norm: bn, activation: () => new Hardswish({ inplace: true }) })];
    for (const row of rows) features.push(new InvertedResidualV3(row));
    const lastIn = rows[rows.length - 1]![3];
    features.push(conv2dNormActivation(lastIn, 6 * lastIn, { kernelSize: 1, norm: bn, activation: () => new Hardswish({ inplace: true }) }));
    this.registerModule('features', new Sequential(features));
    this.numFeatures = lastChannel;
    this.registerModule(
      'classifier',
      new Sequential([
        new Linear(6 * lastIn, lastChannel),
        new Hardswish({ inplace: true }),
        new Dropout(options.dropRate ?? 0.2),
        options.numClasses > 0 ? new Linear(lastChannel, options.numClasses) : new Identity(),
      ]),
    );
    initMobile(this);
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  protected override preLogits(pooled: Tensor): Tensor {
    return this.classifier.forwardRange(pooled, 0, 2);
  }

  override forwardHead(embedding: Tensor): Tensor {
    return this.classifier.forwardRange(embedding, 2);
  }

  protected override headDropout(): Dropout {
    return this.classifier.at(2) as Dropout;
  }
}

export const mobilenetV3Variants: ModelVariant[] = (['large', 'small'] as const).map((size) => ({
  name: `mobilenet_v3_${size}`,
  family: 'mobilenet',
  source: 'torchvision',
  inputSize: [3, 224, 224],
  build: (o) => new MobileNetV3(size, o),
}));
