/**
 * Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021) as
 * torchvision's `VisionTransformer`: non-overlapping patches embedded by `conv_proj`, a
 * learnt `class_token` prepended, the Transformer `encoder`, and `heads.head` on the class
 * token. torchvision's vit_b_16, vit_b_32 and vit_l_16 are rows of `VIT`.
 *
 * `imageSize` (default 224) fixes the input side, as the position embedding has one entry
 * per patch; torchvision's pretrained weights use 224 (384 and 518 for the SWAG ones).
 * `forwardFeatures` returns the patch tokens as a map [N, D, H/p, W/p] (for attention
 * maps and crops); `forwardEmbedding` the normalised class token [N, D].
 *
 * @example
 *   const vit = createModel('vit_b_16', { numClasses: 200, imageSize: 224 });
 *   const small = createModel('vit_b_16', { imageSize: 64 });   // 4x4 patches + class token
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import { zeros } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { truncNormal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import type {} from '../family-options.js';
import { Encoder } from './encoder.js';

/** The architecture of a Vision Transformer (torchvision's constructor arguments). */
export interface VitConfig {
  /** Side of the square patches, in pixels (16 or 32). */
  patchSize: number;
  /** Encoder layers. */
  numLayers: number;
  /** Attention heads per layer (dividing `hiddenDim`). */
  numHeads: number;
  /** Width of the tokens (the embedding size). */
  hiddenDim: number;
  /** Hidden width of each layer's MLP. */
  mlpDim: number;
  /** Dropout in the encoder (default 0). */
  dropout?: number;
  /** Dropout on attention weights (default 0). */
  attentionDropout?: number;
}

export const VIT: Record<string, VitConfig> = {
  vit_b_16: { patchSize: 16, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 },
  vit_b_32: { patchSize: 32, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 },
  vit_l_16: { patchSize: 16, numLayers: 24, numHeads: 16, hiddenDim: 1024, mlpDim: 4096 },
};

/**
 * The Vision Transformer as torchvision's `VisionTransformer`, with its state-dict names.
 *
 * @example
 *   const vit = createModel('vit_b_16', { numClasses: 200 });
 */
export class VisionTransformer extends ImageClassifier {
  /** The patch embedding: a convolution with kernel and stride `patchSize`. */
  declare readonly conv_proj: Conv2d;
  /** The learnt class token [1, 1, hiddenDim] prepended to the patch tokens. */
  declare readonly class_token: Tensor;
  /** The Transformer encoder (position embedding, layers, final LayerNorm). */
  declare readonly encoder: Encoder;
  /** The classifier: `heads.head`, a Linear on the class token. */
  declare readonly heads: Sequential;
  readonly numFeatures: number;
  readonly classifierPath = 'heads.head';
  /** The square input side in pixels the position embedding is sized for. */
  readonly imageSize: number;
  /** Side of the square patches, in pixels. */
  readonly patchSize: number;

  constructor(config: VitConfig, options: ModelOptions) {
    super(options.numClasses);
    const { patchSize, numLayers, numHeads, hiddenDim, mlpDim, dropout = 0, attentionDropout = 0 } = config;
    const imageSize = options.imageSize ?? 224;
    if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % patchSize) {
      throw new RangeError(`VisionTransformer: imageSize ${imageSize} must be a positive multiple of the patch size ${patchSize}`);
    }
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.numFeatures = hiddenDim;
    this.defaultInputSize = [3, imageSize, imageSize];
    this.registerModule('conv_proj', new Conv2d(3, hiddenDim, patchSize, { stride: patchSize }));
    this.registerParameter('class_token', zeros([1, 1, hiddenDim]));
    const seqLength = (imageSize / patchSize) ** 2 + 1;
    this.registerModule('encoder', new Encoder({ seqLength, numLayers, numHeads, hiddenDim, mlpDim, dropout, attentionDropout }));
    this.registerModule('heads', new Sequential([['head', options.numClasses > 0 ? new Linear(hiddenDim, options.numClasses) : new Identity()]]));
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    // torchvision: truncated N(0, 1/fanIn) patch embedding with zero bias; zero head.
    truncNormal_(this.conv_proj.weight, { std: Math.sqrt(1 / (3 * patchSize * patchSize)) });
    zeros_(this.conv_proj.bias!);
    const head = this.heads.at(0);
    if (head instanceof Linear) {
      zeros_(head.weight);
      zeros_(head.bias!);
    }
  }

  /** The encoder's output tokens [N, 1 + (S/p)², D], class token first. */
  forwardTokens(x: Tensor): Tensor {
    const [n, , h, w] = x.shape as [number, number, number, number];
    if (h !== this.imageSize || w !== this.imageSize) {
      throw new RangeError(`VisionTransformer: expected ${this.imageSize}x${this.imageSize} input (the imageSize option), got ${h}x${w}`);
    }
    return scope(() => {
      // [N, D, h, w] → [N, h·w, D]: one token per patch, row-major.
      const patches = this.conv_proj.forward(x).flatten(2).transpose(1, 2);
      const tokens = cat([this.class_token.expand(n, -1, -1), patches], 1);
      return this.encoder.forward(tokens);
    });
  }

  /** The patch tokens as a feature map [N, D, S/p, S/p] (the class token left out). */
  forwardFeatures(x: Tensor): Tensor {
    return scope(() => {
      const side = this.imageSize / this.patchSize;
      const tokens = this.forwardTokens(x);
      return tokens.slice(1, 1).transpose(1, 2).reshape(tokens.size(0), this.numFeatures, side, side);
    });
  }

  /** The class token after the final LayerNorm [N, D]: what torchvision's head classifies. */
  override forwardEmbedding(x: Tensor): Tensor {
    return scope(() => this.forwardTokens(x).select(1, 0).contiguous());
  }
}

export const vitVariants: ModelVariant[] = Object.entries(VIT).map(([name, config]) => ({
  name,
  family: 'vit',
  source: 'torchvision',
  inputSize: [3, 224, 224],
  build: (options) => new VisionTransformer(config, options),
}));
