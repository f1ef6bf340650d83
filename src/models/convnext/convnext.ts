/**
 * ConvNeXt (Liu et al., "A ConvNet for the 2020s", CVPR 2022) as torchvision builds
 * convnext_tiny/small/base/large: a 4x4/4 patchify stem with LayerNorm, four stages of
 * ConvNeXt blocks (7x7 depthwise → LayerNorm → 4x MLP with GELU, scaled by a learnt per-channel
 * `layer_scale`, dropped by stochastic depth, added to the input), LayerNorm + 2x2/2
 * convolutions between stages, and a LayerNorm → Flatten → Linear `classifier`.
 * State-dict names are torchvision's (`features.1.0.block.0.weight`, `features.1.0.layer_scale`).
 *
 * @example
 *   const net = createModel('convnext_tiny', { numClasses: 200 });
 *   const emb = net.forwardEmbedding(x);   // [N, 768], after the classifier's LayerNorm
 */
import { scope } from '../../tensor/scope.js';
import { full } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { GELU } from '../../nn/layers/activations.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { truncNormal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { StochasticDepth } from '../efficientnet/stochastic-depth.js';
import { LayerNorm2d } from './layer-norm-2d.js';
import { Permute } from './permute.js';

/** The architecture of a ConvNeXt: widths and depths of the four stages, stochastic depth and layer scale. */
export interface ConvNeXtConfig {
  /** Channels of the four stages. */
  dims: [number, number, number, number];
  /** Blocks per stage. */
  depths: [number, number, number, number];
  /** Stochastic depth of the last block (rising linearly from 0 at the first). */
  stochasticDepthProb: number;
  /** Initial value of every `layer_scale` (default 1e-6). */
  layerScale?: number;
}

export const CONVNEXT: Record<string, ConvNeXtConfig> = {
  convnext_tiny: { dims: [96, 192, 384, 768], depths: [3, 3, 9, 3], stochasticDepthProb: 0.1 },
  convnext_small: { dims: [96, 192, 384, 768], depths: [3, 3, 27, 3], stochasticDepthProb: 0.4 },
  convnext_base: { dims: [128, 256, 512, 1024], depths: [3, 3, 27, 3], stochasticDepthProb: 0.5 },
  convnext_large: { dims: [192, 384, 768, 1536], depths: [3, 3, 27, 3], stochasticDepthProb: 0.5 },
};

const norm2d = (c: number) => new LayerNorm2d(c, { eps: 1e-6 });

/** One ConvNeXt block (torchvision's CNBlock). */
export class CNBlock extends Module {
  declare readonly block: Sequential;
  declare readonly layer_scale: Tensor;
  declare readonly stochastic_depth: StochasticDepth;

  constructor(dim: number, layerScale: number, stochasticDepthProb: number) {
    super();
    this.registerModule(
      'block',
      new Sequential([
        new Conv2d(dim, dim, 7, { padding: 3, groups: dim }),
        new Permute([0, 2, 3, 1]),
        new LayerNorm(dim, { eps: 1e-6 }),
        new Linear(dim, 4 * dim),
        new GELU(),
        new Linear(4 * dim, dim),
        new Permute([0, 3, 1, 2]),
      ]),
    );
    this.registerParameter('layer_scale', full([dim, 1, 1], layerScale));
    this.registerModule('stochastic_depth', new StochasticDepth(stochasticDepthProb));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.stochastic_depth.forward(this.block.forward(x).mul(this.layer_scale)).add(x));
  }
}

/**
 * ConvNeXt as torchvision builds convnext_tiny/small/base/large, with its state-dict names.
 *
 * @example
 *   const net = createModel('convnext_tiny', { numClasses: 200 });
 */
export class ConvNeXt extends ImageClassifier {
  /** The patchify stem, the four stages of blocks and the downsampling layers between them. */
  declare readonly features: Sequential;
  /** LayerNorm, Flatten, then the final Linear (`classifier.2`). */
  declare readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly classifierPath = 'classifier.2';
  /** The architecture it was built from. */
  readonly config: ConvNeXtConfig;

  constructor(config: ConvNeXtConfig, options: ModelOptions) {
    super(options.numClasses);
    this.config = config;
    const { dims, depths, stochasticDepthProb, layerScale = 1e-6 } = config;
    // Stem: torchvision's Conv2dNormActivation(3, dims[0], 4, stride 4, padding 0, bias, LayerNorm2d, no activation).
    const layers: Module[] = [new Sequential([new Conv2d(3, dims[0], 4, { stride: 4 }), norm2d(dims[0])])];
    const total = depths.reduce((a, b) => a + b, 0);
    let blockId = 0;
    depths.forEach((depth, i) => {
      const stage: Module[] = [];
      for (let b = 0; b < depth; b++, blockId++) stage.push(new CNBlock(dims[i]!, layerScale, (stochasticDepthProb * blockId) / (total - 1)));
      layers.push(new Sequential(stage));
      if (i < 3) layers.push(new Sequential([norm2d(dims[i]!), new Conv2d(dims[i]!, dims[i + 1]!, 2, { stride: 2 })]));
    });
    this.registerModule('features', new Sequential(layers));
    this.numFeatures = dims[3];
    this.registerModule(
      'classifier',
      new Sequential([norm2d(dims[3]), new Flatten(1), options.numClasses > 0 ? new Linear(dims[3], options.numClasses) : new Identity()]),
    );
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    // torchvision: truncated N(0, 0.02²) conv and linear weights, zero biases.
    for (const m of this.modules()) {
      if (m instanceof Conv2d || m instanceof Linear) {
        truncNormal_(m.weight, { std: 0.02 });
        if (m.bias) zeros_(m.bias);
      }
    }
  }

  forwardFeatures(x: Tensor): Tensor {
    return this.features.forward(x);
  }

  /** The classifier's LayerNorm (and flatten) on the pooled features. */
  protected override preLogits(pooled: Tensor): Tensor {
    return scope(() => this.classifier.forwardRange(pooled.view(pooled.size(0), -1, 1, 1), 0, 2));
  }
}

export const convnextVariants: ModelVariant[] = Object.entries(CONVNEXT).map(([name, config]) => ({
  name,
  family: 'convnext',
  source: 'torchvision',
  inputSize: [3, 224, 224],
  build: (options) => new ConvNeXt(config, options),
}));
