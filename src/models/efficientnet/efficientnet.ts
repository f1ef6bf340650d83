/**
 * EfficientNet-B0…B7 (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional
 * Neural Networks", ICML 2019) as torchvision builds them: MBConv blocks (1x1 expand →
 * k×k depthwise → squeeze-excite with SiLU → 1x1 projection) scaled in width and depth per
 * variant, stochastic depth on the residual branches, and `classifier` = Dropout + Linear.
 * State-dict names are torchvision's (`features.2.1.block.2.fc1.weight`).
 *
 * @example
 *   const b3 = new EfficientNet(EFFICIENTNET.efficientnet_b3, { numClasses: 200 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { SiLU } from '../../nn/layers/activations.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { conv2dNormActivation } from '../../nn/layers/conv-norm-act.js';
import { SqueezeExcite } from '../../nn/attention/squeeze-excite.js';
import { makeDivisible } from '../../nn/divisible.js';
import { kaimingNormal_, uniform_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { StochasticDepth } from './stochastic-depth.js';

/** Per-variant scaling and regularisation (torchvision's efficientnet_b0 … b7). */
export interface EfficientNetConfig {
  /** Channel multiplier of every stage (rounded to multiples of 8). */
  widthMult: number;
  /** Multiplier of the number of blocks per stage (rounded up). */
  depthMult: number;
  /** Classifier dropout. */
  dropout: number;
  /** Evaluation crop (torchvision's transforms). */
  inputSize: number;
  /** B5–B7 use BatchNorm eps 1e-3, momentum 0.01 (the TF ports' values). */
  tfBatchNorm: boolean;
}

/** Stage table of the paper (Table 1): expansion, kernel, stride, in, out, repeats. */
const STAGES: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/** The configurations of efficientnet_b0 to efficientnet_b7, by registry name. */
export const EFFICIENTNET: Record<string, EfficientNetConfig> = {
  efficientnet_b0: { widthMult: 1.0, depthMult: 1.0, dropout: 0.2, inputSize: 224, tfBatchNorm: false },
  efficientnet_b1: { widthMult: 1.0, depthMult: 1.1, dropout: 0.2, inputSize: 240, tfBatchNorm: false },
  efficientnet_b2: { widthMult: 1.1, depthMult: 1.2, dropout: 0.3, inputSize: 288, tfBatchNorm: false },
  efficientnet_b3: { widthMult: 1.2, depthMult: 1.4, dropout: 0.3, inputSize: 300, tfBatchNorm: false },
  efficientnet_b4: { widthMult: 1.4, depthMult: 1.8, dropout: 0.4, inputSize: 380, tfBatchNorm: false },
  efficientnet_b5: { widthMult: 1.6, depthMult: 2.2, dropout: 0.4, inputSize: 456, tfBatchNorm: true },
  efficientnet_b6: { widthMult: 1.8, depthMult: 2.6, dropout: 0.5, inputSize: 528, tfBatchNorm: true },
  efficientnet_b7: { widthMult: 2.0, depthMult: 3.1, dropout: 0.5, inputSize: 600, tfBatchNorm: true },
};

/** torchvision's MBConv: layers in `block`, stochastic depth on the residual branch. */
export class MBConv extends Module {
  /** The layers: 1x1 expansion (when the ratio is not 1), depthwise k×k, squeeze-excite, 1x1 projection. */
  declare readonly block: Sequential;
  /** Stochastic depth on the residual branch (only where the block has a shortcut). */
  declare readonly stochastic_depth: StochasticDepth;
  /** Whether the input is added to the output (stride 1 and equal widths). */
  readonly useResidual: boolean;

  constructor(expandRatio: number, kernel: number, stride: number, input: number, output: number, sdProb: number, norm: (c: number) => Module) {
    super();
    this.useResidual = stride === 1 && input === output;
    const silu = () => new SiLU({ inplace: true });
    const expanded = makeDivisible(input * expandRatio, 8);
    const layers: Module[] = [];
    if (expanded !== input) layers.push(conv2dNormActivation(input, expanded, { kernelSize: 1, norm, activation: silu }));
    layers.push(conv2dNormActivation(expanded, expanded, { kernelSize: kernel, stride, groups: expanded, norm, activation: silu }));
    layers.push(new SqueezeExcite(expanded, { rdChannels: Math.max(1, Math.floor(input / 4)), act: 'silu' }));
    layers.push(conv2dNormActivation(expanded, output, { kernelSize: 1, norm, activation: null }));
    this.registerModule('block', new Sequential(layers));
    this.registerModule('stochastic_depth', new StochasticDepth(sdProb));
  }

  forward(x: Tensor): Tensor {
    if (!this.useResidual) return this.block.forward(x);
    return scope(() => this.stochastic_depth.forward(this.block.forward(x)).add_(x));
  }
}

/**
 * EfficientNet B0 to B7 as torchvision builds them, with its state-dict names.
 *
 * @example
 *   const net = createModel('efficientnet_b3', { numClasses: 200 });
 */
export class EfficientNet extends ImageClassifier {
  /** The stem, the seven stages of MBConv blocks and the last 1x1 convolution. */
  declare readonly features: Sequential;
  /** Dropout, then the final Linear (`classifier.1`). */
  declare readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly classifierPath = 'classifier.1';

  constructor(config: EfficientNetConfig, options: ModelOptions, stochasticDepthProb = 0.2) {
    super(options.numClasses);
    this.defaultInputSize = [3, config.inputSize, config.inputSize];
    const norm = config.tfBatchNorm ? (c: number) => new BatchNorm2d(c, { eps: 0.001, momentum: 0.01 }) : (c: number) => new BatchNorm2d(c);
    const width = (c: number) => makeDivisible(c * config.widthMult, 8);
    const depth = (n: number) => Math.ceil(n * config.depthMult);
    const silu = () => new SiLU({ inplace: true });
    const features: Module[] = [conv2dNormActivation(3, width(STAGES[0]![3]), { stride: 2, norm, activation: silu })];
    const total = STAGES.reduce((a, s) => a + depth(s[5]), 0);
    let blockId = 0;
    for (const [t, k, s, cin, cout, n] of STAGES) {
      const stage: Module[] = [];
      for (let i = 0; i < depth(n); i++) {
        const sd = (stochasticDepthProb * blockId) / total;
        stage.push(new MBConv(t, k, i === 0 ? s : 1, i === 0 ? width(cin) : width(cout), width(cout), sd, norm));
        blockId++;
      }
      features.push(new Sequential(stage));
    }
    const lastIn = width(STAGES[STAGES.length - 1]![4]);
    this.numFeatures = 4 * lastIn;
    features.push(conv2dNormActivation(lastIn, this.numFeatures, { kernelSize: 1, norm, activation: silu }));
    this.registerModule('features', new Sequential(features));
    this.registerModule(
      'classifier',
      // Not in place (unlike torchvision's): the embedding handed to forwardHead may be the caller's.
      new Sequential([
        new Dropout(options.dropRate ?? config.dropout),
        options.numClasses > 0 ? new Linear(this.numFeatures, options.numClasses) : new Identity(),
      ]),
    );
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        kaimingNormal_(m.weight, { mode: 'fanOut' });
        if (m.bias) zeros_(m.bias);
      } else if (m instanceof Linear) {
        const range = 1 / Math.sqrt(m.outFeatures);
        uniform_(m.weight, -range, range);
        zeros_(m.bias!);
      }
    }
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

export const efficientnetVariants: ModelVariant[] = Object.entries(EFFICIENTNET).map(([name, config]) => ({
  name,
  family: 'efficientnet',
  source: 'torchvision',
  inputSize: [3, config.inputSize, config.inputSize],
  build: (o) => new EfficientNet(config, o),
}));
