/**
 * Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
 * CVPR 2016) as torchvision's `Inception3`: a stem of five convolutions and two max pools,
 * Mixed_5b–5d (A blocks), Mixed_6a (reduction), Mixed_6b–6e (C blocks, factorised 7x7),
 * Mixed_7a (reduction), Mixed_7b–7c (E blocks), then average pooling, `dropout` and `fc`.
 * With `auxLogits` (default), `AuxLogits` classifies the 17x17 grid in training mode.
 * Designed for 299x299 input; the smallest input it takes is 75x75.
 *
 * @example
 *   const net = createModel('inception_v3', { numClasses: 200 });
 *   net.train();
 *   const { logits, aux } = net.forwardWithAux(x);   // loss = ce(logits) + 0.4·ce(aux)
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d } from '../../nn/functional/pooling.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { MaxPool2d } from '../../nn/layers/pooling.js';
import { truncNormal_ } from '../../nn/init.js';
import { ImageClassifier, type ResetClassifierOptions } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import type {} from '../family-options.js';
import { BasicConv2d } from './basic-conv2d.js';
import { InceptionA, InceptionAux, InceptionB, InceptionC, InceptionD, InceptionE } from './inception-v3-blocks.js';
import { transformInput } from './transform-input.js';

/** The main logits and, in training mode with the auxiliary head, its logits. */
export interface InceptionOutputs {
  /** The main classifier's logits [N, numClasses]. */
  logits: Tensor;
  /** The auxiliary classifier's logits (training mode with `auxLogits` only). */
  aux?: Tensor;
}

const STAGES = [
  'Conv2d_1a_3x3',
  'Conv2d_2a_3x3',
  'Conv2d_2b_3x3',
  'maxpool1',
  'Conv2d_3b_1x1',
  'Conv2d_4a_3x3',
  'maxpool2',
  'Mixed_5b',
  'Mixed_5c',
  'Mixed_5d',
  'Mixed_6a',
  'Mixed_6b',
  'Mixed_6c',
  'Mixed_6d',
  'Mixed_6e',
  'Mixed_7a',
  'Mixed_7b',
  'Mixed_7c',
] as const;

/**
 * Inception v3 as torchvision's `Inception3`, with its state-dict names; the auxiliary
 * classifier exists with `auxLogits` and runs only in training mode (`forwardWithAux`).
 *
 * @example
 *   const net = createModel('inception_v3', { numClasses: 200 });
 */
export class Inception3 extends ImageClassifier {
  /** The auxiliary classifier on the 17x17 grid; undefined without `auxLogits`. */
  declare readonly AuxLogits: InceptionAux | undefined;
  /** Dropout before the classifier. */
  declare readonly dropout: Dropout;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly fc: Linear | Identity;
  readonly numFeatures = 2048;
  readonly classifierPath = 'fc';

  override get auxClassifierPaths(): string[] {
    return this.AuxLogits ? ['AuxLogits.fc'] : [];
  }
  /** Whether ImageNet-normalised input is mapped to [-1, 1] first, as the original weights expect. */
  readonly transformInput: boolean;

  constructor(options: ModelOptions) {
    super(options.numClasses);
    this.defaultInputSize = [3, 299, 299];
    this.transformInput = options.transformInput ?? false;
    this.registerModule('Conv2d_1a_3x3', new BasicConv2d(3, 32, 3, { stride: 2 }));
    this.registerModule('Conv2d_2a_3x3', new BasicConv2d(32, 32, 3));
    this.registerModule('Conv2d_2b_3x3', new BasicConv2d(32, 64, 3, { padding: 1 }));
    this.registerModule('maxpool1', new MaxPool2d(3, { stride: 2 }));
    this.registerModule('Conv2d_3b_1x1', new BasicConv2d(64, 80, 1));
    this.registerModule('Conv2d_4a_3x3', new BasicConv2d(80, 192, 3));
    this.registerModule('maxpool2', new MaxPool2d(3, { stride: 2 }));
    this.registerModule('Mixed_5b', new InceptionA(192, 32));
    this.registerModule('Mixed_5c', new InceptionA(256, 64));
    this.registerModule('Mixed_5d', new InceptionA(288, 64));
    this.registerModule('Mixed_6a', new InceptionB(288));
    this.registerModule('Mixed_6b', new InceptionC(768, 128));
    this.registerModule('Mixed_6c', new InceptionC(768, 160));
    this.registerModule('Mixed_6d', new InceptionC(768, 160));
    this.registerModule('Mixed_6e', new InceptionC(768, 192));
    if (options.auxLogits ?? true) this.registerModule('AuxLogits', new InceptionAux(768, options.numClasses));
    this.registerModule('Mixed_7a', new InceptionD(768));
    this.registerModule('Mixed_7b', new InceptionE(1280));
    this.registerModule('Mixed_7c', new InceptionE(2048));
    this.registerModule('dropout', new Dropout(options.dropRate ?? 0.5));
    this.registerModule('fc', options.numClasses > 0 ? new Linear(2048, options.numClasses) : new Identity());
    this.#initWeights();
  }

  // torchvision: truncated N(0, 0.1²) in ±2 for conv and linear weights, except the aux
  // head's fc (its `stddev` attribute: 0.001). The aux conv1's 0.01 is set on the wrapper,
  // not the Conv2d, so torchvision's loop never sees it; neither do we.
  #initWeights(): void {
    const auxFc = this.AuxLogits?.fc;
    for (const m of this.modules()) {
      if (m instanceof Conv2d || m instanceof Linear) truncNormal_(m.weight, { std: m === auxFc ? 0.001 : 0.1 });
    }
  }

  #run(x: Tensor, withAux: boolean): { features: Tensor; aux?: Tensor } {
    return scope(() => {
      let aux: Tensor | undefined;
      let h = this.transformInput ? transformInput(x) : x;
      for (const name of STAGES) {
        const next = this.getSubmodule(name).forward(h);
        if (h !== x) h.dispose();
        h = next;
        if (withAux && name === 'Mixed_6e') aux = this.AuxLogits!.forward(h);
      }
      return aux ? { features: h, aux } : { features: h };
    });
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.#run(x, false).features;
  }

  /** The main logits plus, in training mode with `AuxLogits`, the auxiliary logits (torchvision's InceptionOutputs). */
  forwardWithAux(x: Tensor): InceptionOutputs {
    return scope(() => {
      const { features, aux } = this.#run(x, this.training && this.AuxLogits !== undefined);
      const logits = this.forwardHead(adaptiveAvgPool2d(features, 1).flatten(1));
      return aux ? { logits, aux } : { logits };
    });
  }

  protected override headDropout(): Dropout {
    return this.dropout;
  }

  /** Also gives the auxiliary head `numClasses` outputs. */
  override resetClassifier(numClasses: number, options: ResetClassifierOptions = {}): void {
    super.resetClassifier(numClasses, options);
    this.AuxLogits?.setSubmodule('fc', numClasses > 0 ? new Linear(768, numClasses) : new Identity())?.dispose();
  }
}

export const inceptionV3Variants: ModelVariant[] = [
  { name: 'inception_v3', family: 'inception', source: 'torchvision', inputSize: [3, 299, 299], auxPrefixes: ['AuxLogits.'], build: (o) => new Inception3(o) },
];
