/**
 * AlexNet (Krizhevsky, Sutskever & Hinton, NeurIPS 2012) as torchvision builds it (the
 * one-GPU variant of "One weird trick…", arXiv:1404.5997): five convolutions in `features`,
 * adaptive average pooling to 6x6, and a three-layer `classifier` with dropout.
 * PyTorch's default initialisation.
 *
 * The embedding is the 4096-d output of the second hidden layer (classifier.0 – .5); the
 * head is `classifier.6`.
 *
 * @example
 *   const model = new AlexNet({ numClasses: 10 });
 *   const logits = model.forward(randn([1, 3, 224, 224]));
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d } from '../../nn/functional/pooling.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { MaxPool2d } from '../../nn/layers/pooling.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';

/**
 * AlexNet as torchvision builds it, with its state-dict names.
 *
 * @example
 *   const model = new AlexNet({ numClasses: 10 });
 */
export class AlexNet extends ImageClassifier {
  /** The five convolutions with their ReLUs and max poolings. */
  declare readonly features: Sequential;
  /** Dropout, Linear, ReLU twice (the 4096-d hidden layers), then the final Linear (`classifier.6`). */
  declare readonly classifier: Sequential;
  readonly numFeatures = 4096;
  readonly classifierPath = 'classifier.6';

  constructor(options: ModelOptions) {
    super(options.numClasses);
    const relu = () => new ReLU({ inplace: true });
    const pool = () => new MaxPool2d(3, { stride: 2 });
    this.registerModule(
      'features',
      new Sequential([
        new Conv2d(3, 64, 11, { stride: 4, padding: 2 }),
        relu(),
        pool(),
        new Conv2d(64, 192, 5, { padding: 2 }),
        relu(),
        pool(),
        new Conv2d(192, 384, 3, { padding: 1 }),
        relu(),
        new Conv2d(384, 256, 3, { padding: 1 }),
        relu(),
        new Conv2d(256, 256, 3, { padding: 1 }),
        relu(),
        pool(),
      ]),
    );
    this.registerModule(
      'classifier',
      new Sequential([
        new Dropout(0.5),
        new Linear(256 * 6 * 6, 4096),
        relu(),
        new Dropout(0.5),
        new Linear(4096, 4096),
        relu(),
        options.numClasses > 0 ? new Linear(4096, options.numClasses) : new Identity(),
      ]),
    );
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  /** torchvision pools to 6x6 (not globally) and flattens, then the two hidden layers. */
  override forwardEmbedding(x: Tensor): Tensor {
    return scope(() => this.classifier.forwardRange(adaptiveAvgPool2d(this.forwardFeatures(x), 6).flatten(1), 0, 6));
  }
}

export const alexnetVariants: ModelVariant[] = [
  { name: 'alexnet', family: 'alexnet', source: 'torchvision', inputSize: [3, 224, 224], build: (o) => new AlexNet(o) },
];
