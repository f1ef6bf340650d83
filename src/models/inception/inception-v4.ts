/**
 * Inception-v4 (Szegedy et al., AAAI 2017) with timm's architecture and state-dict names
 * (`inception_v4`): `features` = stem (three convolutions, Mixed3a/4a/5a), 4 × Inception-A,
 * Reduction-A, 7 × Inception-B, Reduction-B, 3 × Inception-C; then global average pooling,
 * `head_drop` and `last_linear`. 42.7M parameters; designed for 299x299 input (the smallest
 * it takes is 75x75). PyTorch's default initialisation, as timm.
 *
 * @example
 *   const net = createModel('inception_v4', { numClasses: 200 });
 *   net.forwardFeatures(x);   // [N, 1536, 8, 8] at 299x299
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { Module } from '../../nn/module.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { BasicConv2d } from './basic-conv2d.js';
import { InceptionV4A, InceptionV4B, InceptionV4C, Mixed3a, Mixed4a, Mixed5a, ReductionA, ReductionB } from './inception-v4-blocks.js';
import { INCEPTION_MEAN, INCEPTION_STD } from '../preprocess-config.js';

const repeat = (n: number, make: () => Module) => Array.from({ length: n }, make);

/**
 * Inception-v4 with timm's architecture and state-dict names (`inception_v4`), for 299x299 input.
 *
 * @example
 *   const net = createModel('inception_v4', { numClasses: 200 });
 */
export class InceptionV4 extends ImageClassifier {
  /** The stem and the Inception-A/B/C blocks with the two reductions. */
  declare readonly features: Sequential;
  /** Dropout before the classifier. */
  declare readonly head_drop: Dropout;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly last_linear: Linear | Identity;
  readonly numFeatures = 1536;
  readonly classifierPath = 'last_linear';

  constructor(options: ModelOptions) {
    super(options.numClasses);
    this.defaultInputSize = [3, 299, 299];
    this.registerModule(
      'features',
      new Sequential([
        new BasicConv2d(3, 32, 3, { stride: 2 }),
        new BasicConv2d(32, 32, 3),
        new BasicConv2d(32, 64, 3, { padding: 1 }),
        new Mixed3a(),
        new Mixed4a(),
        new Mixed5a(),
        ...repeat(4, () => new InceptionV4A()),
        new ReductionA(),
        ...repeat(7, () => new InceptionV4B()),
        new ReductionB(),
        ...repeat(3, () => new InceptionV4C()),
      ]),
    );
    this.registerModule('head_drop', new Dropout(options.dropRate ?? 0));
    this.registerModule('last_linear', options.numClasses > 0 ? new Linear(1536, options.numClasses) : new Identity());
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  protected override headDropout(): Dropout {
    return this.head_drop;
  }
}

export const inceptionV4Variants: ModelVariant[] = [
  {
    name: 'inception_v4',
    family: 'inception',
    source: 'timm',
    inputSize: [3, 299, 299],
    preprocess: { mean: [...INCEPTION_MEAN], std: [...INCEPTION_STD] },
    build: (o) => new InceptionV4(o),
  },
];
