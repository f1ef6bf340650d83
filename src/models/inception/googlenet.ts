/**
 * GoogLeNet, i.e. Inception v1 (Szegedy et al., "Going Deeper with Convolutions", CVPR 2015),
 * as torchvision builds it: BatchNorm after every convolution, nine Inception blocks, two
 * auxiliary classifiers (`aux1` after inception4a, `aux2` after inception4d) that exist with
 * `auxLogits` and run only in training mode, and `dropout` + `fc` as the head. State-dict
 * names are torchvision's (`inception4a.branch2.1.conv.weight`, `aux1.fc2.bias`).
 *
 * As in torchvision, the "5x5" branch uses a 3x3 convolution (the layout of the weights
 * torchvision ported), and `transformInput` maps ImageNet-normalised input to [-1, 1].
 *
 * @example
 *   const net = createModel('googlenet', { numClasses: 200 });
 *   net.train();
 *   const { logits, aux1, aux2 } = net.forwardWithAux(x);   // training: three outputs
 *   net.eval();
 *   const y = net.forward(x);                               // eval: the main logits
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../nn/functional/activation.js';
import { adaptiveAvgPool2d } from '../../nn/functional/pooling.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { MaxPool2d } from '../../nn/layers/pooling.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { truncNormal_ } from '../../nn/init.js';
import { ImageClassifier, type ResetClassifierOptions } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import type {} from '../family-options.js';
import { BasicConv2d } from './basic-conv2d.js';
import { transformInput } from './transform-input.js';

/** One Inception block: 1x1, 1x1→3x3, 1x1→3x3, maxpool→1x1 branches, concatenated. */
export class Inception extends Module {
  declare readonly branch1: BasicConv2d;
  declare readonly branch2: Sequential;
  declare readonly branch3: Sequential;
  declare readonly branch4: Sequential;
  readonly outChannels: number;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
    this.registerModule('branch1', new BasicConv2d(inChannels, ch1x1, 1));
    this.registerModule('branch2', new Sequential([new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 })]));
    this.registerModule('branch3', new Sequential([new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 })]));
    this.registerModule('branch4', new Sequential([new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), new BasicConv2d(inChannels, poolProj, 1)]));
  }

  forward(x: Tensor): Tensor {
    return scope(() => cat([this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)], 1));
  }
}

/** The auxiliary classifier: 4x4 average pool → 1x1 conv → fc1 (ReLU) → dropout → fc2. */
export class GoogLeNetAux extends Module {
  /** The 1x1 convolution to 128 channels after the pooling. */
  declare readonly conv: BasicConv2d;
  /** The hidden layer, 2048 to 1024 (with ReLU). */
  declare readonly fc1: Linear;
  /** The auxiliary logits (an `Identity` for `numClasses` 0). */
  declare readonly fc2: Linear | Identity;
  /** Dropout before `fc2` (0.7, torchvision's). */
  declare readonly dropout: Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.registerModule('conv', new BasicConv2d(inChannels, 128, 1));
    this.registerModule('fc1', new Linear(2048, 1024));
    this.registerModule('fc2', numClasses > 0 ? new Linear(1024, numClasses) : new Identity());
    this.registerModule('dropout', new Dropout(dropout));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = this.conv.forward(adaptiveAvgPool2d(x, 4)).flatten(1);
      return this.fc2.forward(this.dropout.forward(relu(this.fc1.forward(h), { inplace: true })));
    });
  }
}

/** The main logits and, in training mode with auxiliary heads, theirs. */
export interface GoogLeNetOutputs {
  /** The main classifier's logits [N, numClasses]. */
  logits: Tensor;
  /** After inception4a (training mode with `auxLogits` only). */
  aux1?: Tensor;
  /** After inception4d (training mode with `auxLogits` only). */
  aux2?: Tensor;
}

// [in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool proj] of the paper's Table 1.
const BLOCKS: Record<string, [number, number, number, number, number, number, number]> = {
  inception3a: [192, 64, 96, 128, 16, 32, 32],
  inception3b: [256, 128, 128, 192, 32, 96, 64],
  inception4a: [480, 192, 96, 208, 16, 48, 64],
  inception4b: [512, 160, 112, 224, 24, 64, 64],
  inception4c: [512, 128, 128, 256, 24, 64, 64],
  inception4d: [512, 112, 144, 288, 32, 64, 64],
  inception4e: [528, 256, 160, 320, 32, 128, 128],
  inception5a: [832, 256, 160, 320, 32, 128, 128],
  inception5b: [832, 384, 192, 384, 48, 128, 128],
};

const STAGES = [
  'conv1',
  'maxpool1',
  'conv2',
  'conv3',
  'maxpool2',
  'inception3a',
  'inception3b',
  'maxpool3',
  'inception4a',
  'inception4b',
  'inception4c',
  'inception4d',
  'inception4e',
  'maxpool4',
  'inception5a',
  'inception5b',
] as const;

/**
 * GoogLeNet (Inception v1) as torchvision builds it, with its state-dict names; the auxiliary
 * classifiers exist with `auxLogits` and run only in training mode (`forwardWithAux`).
 *
 * @example
 *   const net = createModel('googlenet', { numClasses: 200 });
 */
export class GoogLeNet extends ImageClassifier {
  /** The auxiliary classifier after inception4a; undefined without `auxLogits`. */
  declare readonly aux1: GoogLeNetAux | undefined;
  /** The auxiliary classifier after inception4d; undefined without `auxLogits`. */
  declare readonly aux2: GoogLeNetAux | undefined;
  /** Dropout before the classifier. */
  declare readonly dropout: Dropout;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly fc: Linear | Identity;
  readonly numFeatures = 1024;
  readonly classifierPath = 'fc';

  override get auxClassifierPaths(): string[] {
    return this.aux1 ? ['aux1.fc2', 'aux2.fc2'] : [];
  }
  /** Whether ImageNet-normalised input is mapped to [-1, 1] first, as the original weights expect. */
  readonly transformInput: boolean;

  constructor(options: ModelOptions) {
    super(options.numClasses);
    this.transformInput = options.transformInput ?? false;
    const ceilPool = (k: number) => new MaxPool2d(k, { stride: 2, ceilMode: true });
    this.registerModule('conv1', new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 }));
    this.registerModule('maxpool1', ceilPool(3));
    this.registerModule('conv2', new BasicConv2d(64, 64, 1));
    this.registerModule('conv3', new BasicConv2d(64, 192, 3, { padding: 1 }));
    this.registerModule('maxpool2', ceilPool(3));
    for (const name of ['inception3a', 'inception3b']) this.registerModule(name, new Inception(...BLOCKS[name]!));
    this.registerModule('maxpool3', ceilPool(3));
    for (const name of ['inception4a', 'inception4b', 'inception4c', 'inception4d', 'inception4e']) this.registerModule(name, new Inception(...BLOCKS[name]!));
    this.registerModule('maxpool4', ceilPool(2));
    for (const name of ['inception5a', 'inception5b']) this.registerModule(name, new Inception(...BLOCKS[name]!));
    if (options.auxLogits ?? true) {
      this.registerModule('aux1', new GoogLeNetAux(512, options.numClasses));
      this.registerModule('aux2', new GoogLeNetAux(528, options.numClasses));
    }
    this.registerModule('dropout', new Dropout(options.dropRate ?? 0.2));
    this.registerModule('fc', options.numClasses > 0 ? new Linear(1024, options.numClasses) : new Identity());
    // torchvision: truncated N(0, 0.01²) in ±2 for every conv and linear weight.
    for (const m of this.modules()) if (m instanceof Conv2d || m instanceof Linear) truncNormal_(m.weight, { std: 0.01 });
  }

  /** The stages in order; the aux heads tap the outputs of inception4a and inception4d. */
  #run(x: Tensor, withAux: boolean): { features: Tensor; aux1?: Tensor; aux2?: Tensor } {
    return scope(() => {
      const out: { aux1?: Tensor; aux2?: Tensor } = {};
      let h = this.transformInput ? transformInput(x) : x;
      for (const name of STAGES) {
        const next = this.getSubmodule(name).forward(h);
        if (h !== x) h.dispose(); // one activation at a time (autograd keeps what it needs)
        h = next;
        if (withAux && name === 'inception4a') out.aux1 = this.aux1!.forward(h);
        if (withAux && name === 'inception4d') out.aux2 = this.aux2!.forward(h);
      }
      return { ...out, features: h };
    });
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.#run(x, false).features;
  }

  /**
   * The main logits plus, in training mode when the model has auxiliary heads, `aux1` and
   * `aux2` (torchvision's GoogLeNetOutputs; the usual loss weighs each aux loss by 0.3).
   * Named by module: torchvision's tuple field `aux_logits2` holds aux1's output, and
   * `aux_logits1` aux2's.
   */
  forwardWithAux(x: Tensor): GoogLeNetOutputs {
    return scope(() => {
      const { features, aux1, aux2 } = this.#run(x, this.training && this.aux1 !== undefined);
      const logits = this.forwardHead(adaptiveAvgPool2d(features, 1).flatten(1));
      return aux1 && aux2 ? { logits, aux1, aux2 } : { logits };
    });
  }

  protected override headDropout(): Dropout {
    return this.dropout;
  }

  /** Also gives the auxiliary heads `numClasses` outputs, so training on the new labels can use them. */
  override resetClassifier(numClasses: number, options: ResetClassifierOptions = {}): void {
    super.resetClassifier(numClasses, options);
    for (const aux of [this.aux1, this.aux2]) aux?.setSubmodule('fc2', numClasses > 0 ? new Linear(1024, numClasses) : new Identity())?.dispose();
  }
}

export const googlenetVariants: ModelVariant[] = [
  { name: 'googlenet', family: 'googlenet', source: 'torchvision', inputSize: [3, 224, 224], auxPrefixes: ['aux1.', 'aux2.'], build: (o) => new GoogLeNet(o) },
];
