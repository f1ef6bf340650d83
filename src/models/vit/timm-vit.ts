/**
 * Vision Transformers with timm's module and state-dict names (`patch_embed.proj`, `cls_token`,
 * `pos_embed`, `blocks.N.…`, `norm`, `fc_norm`, `head`): the small ViTs that suit a CPU —
 * timm's `vit_tiny_patch16_224` and `vit_small_patch16_224` — and base/large, whose names are
 * also those of the MAE reference implementation, so MAE's checkpoints and finegrain's own MAE
 * encoders (`finegrain pretrain`) load as they are. torchvision's ViTs, with torchvision's names,
 * are `vit_b_16` and friends (vit.ts).
 *
 * Options beyond the registry's: `imageSize` (default 224) and `patchSize` (default the variant's,
 * 16) size the token grid — 112–160 px work suits patch 16 at 128 px (64 tokens) or patch 8 at
 * 112 px (196 tokens, ViT-at-224's cost); `globalPool` 'token' (timm's default: the class token
 * after `norm`) or 'avg' (MAE's fine-tuning: the mean of the patch tokens, through `fc_norm`,
 * with no `norm`, as timm builds it); `dropPath`, the stochastic-depth rate of the last block,
 * rising linearly from 0 at the first (timm's `drop_path_rate`).
 *
 * Initialisation as timm's default (`init_weights_vit_timm`): position embedding N(0, 0.02²)
 * truncated, class token N(0, 1e-6²), Linear weights N(0, 0.02²) truncated with zero biases.
 *
 * @example
 *   const vit = createModel('vit_tiny_patch16_224', { numClasses: 100, imageSize: 128, globalPool: 'avg', dropPath: 0.1 });
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import { zeros } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { LayerNorm } from '../../nn/layers/layer-norm.js';
import { normal_, truncNormal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import type {} from '../family-options.js';
import { TimmBlock, vitNorm } from './timm-block.js';

/** The size of a timm-named ViT. */
export interface TimmVitConfig {
  /** Side of the square patches, in pixels. */
  patchSize: number;
  /** Token width. */
  embedDim: number;
  /** Transformer blocks. */
  depth: number;
  /** Attention heads per block. */
  numHeads: number;
  /** MLP hidden width as a multiple of `embedDim`. */
  mlpRatio: number;
}

/** timm's definitions (`vit_tiny_patch16_224` …); base and large are also MAE's encoders. */
export const TIMM_VIT: Record<string, TimmVitConfig> = {
  vit_tiny_patch16_224: { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3, mlpRatio: 4 },
  vit_small_patch16_224: { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, mlpRatio: 4 },
  vit_base_patch16_224: { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, mlpRatio: 4 },
  vit_large_patch16_224: { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, mlpRatio: 4 },
};

/**
 * timm's patch embedding: a convolution `proj` with kernel and stride `patchSize`.
 *
 * @example
 *   const pe = new PatchEmbed(16, 192);   // [N, 3, 224, 224] → [N, 196, 192]
 */
export class PatchEmbed extends Module {
  /** The patch projection. */
  declare readonly proj: Conv2d;

  constructor(patchSize: number, embedDim: number) {
    super();
    this.registerModule('proj', new Conv2d(3, embedDim, patchSize, { stride: patchSize }));
  }

  /** Patch tokens [N, (H/p)·(W/p), D], row-major. */
  forward(x: Tensor): Tensor {
    return scope(() => this.proj.forward(x).flatten(2).transpose(1, 2));
  }
}

/** How the embedding is pooled from the tokens. */
export type GlobalPool = 'token' | 'avg';

/**
 * A Vision Transformer with timm's names (see the file comment).
 *
 * @example
 *   const vit = createModel('vit_small_patch16_224', { numClasses: 200 });
 */
export class TimmVisionTransformer extends ImageClassifier {
  /** The patch embedding. */
  declare readonly patch_embed: PatchEmbed;
  /** The learnt class token [1, 1, D]. */
  declare readonly cls_token: Tensor;
  /** The position embedding [1, 1 + (S/p)², D]: the class token's row first. */
  declare readonly pos_embed: Tensor;
  /** The blocks `blocks.0` … */
  declare readonly blocks: Sequential;
  /** The final LayerNorm (class-token pooling), or null with `globalPool: 'avg'`. */
  declare readonly norm: LayerNorm | null;
  /** The LayerNorm after average pooling (`globalPool: 'avg'`), or null. */
  declare readonly fc_norm: LayerNorm | null;
  /** The classifier. */
  declare readonly head: Linear | Identity;
  readonly numFeatures: number;
  readonly classifierPath = 'head';
  /** The square input side in pixels. */
  readonly imageSize: number;
  /** Side of the square patches, in pixels. */
  readonly patchSize: number;
  /** Patches per side. */
  readonly gridSize: number;
  /** How the embedding is pooled. */
  readonly globalPool: GlobalPool;

  constructor(config: TimmVitConfig, options: ModelOptions) {
    super(options.numClasses);
    const patchSize = options.patchSize ?? config.patchSize;
    const imageSize = options.imageSize ?? 224;
    if (!Number.isInteger(patchSize) || patchSize <= 0) throw new RangeError(`vit: patchSize must be a positive integer, got ${patchSize}`);
    if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % patchSize) {
      throw new RangeError(`vit: imageSize ${imageSize} must be a positive multiple of the patch size ${patchSize}`);
    }
    const globalPool = options.globalPool ?? 'token';
    if (globalPool !== 'token' && globalPool !== 'avg') throw new RangeError(`vit: globalPool must be 'token' or 'avg', got ${String(globalPool)}`);
    const dropPath = options.dropPath ?? 0;
    if (!(dropPath >= 0 && dropPath < 1)) throw new RangeError(`vit: dropPath must be in [0, 1), got ${dropPath}`);
    const { embedDim, depth, numHeads, mlpRatio } = config;
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.gridSize = imageSize / patchSize;
    this.globalPool = globalPool;
    this.numFeatures = embedDim;
    this.defaultInputSize = [3, imageSize, imageSize];
    this.registerModule('patch_embed', new PatchEmbed(patchSize, embedDim));
    this.registerParameter('cls_token', zeros([1, 1, embedDim]));
    this.registerParameter('pos_embed', zeros([1, this.gridSize ** 2 + 1, embedDim]));
    const blocks: [string, Module][] = [];
    for (let i = 0; i < depth; i++)
      blocks.push([String(i), new TimmBlock({ dim: embedDim, numHeads, mlpRatio, dropPath: depth > 1 ? (dropPath * i) / (depth - 1) : dropPath })]);
    this.registerModule('blocks', new Sequential(blocks));
    this.registerModule('norm', globalPool === 'token' ? vitNorm(embedDim) : null);
    this.registerModule('fc_norm', globalPool === 'avg' ? vitNorm(embedDim) : null);
    this.registerModule('head', options.numClasses > 0 ? new Linear(embedDim, options.numClasses) : new Identity());
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    truncNormal_(this.pos_embed, { std: 0.02 });
    normal_(this.cls_token, 0, 1e-6);
    for (const m of this.modules()) {
      if (m instanceof Linear) {
        truncNormal_(m.weight, { std: 0.02 });
        zeros_(m.bias!);
      }
    }
  }

  /** Sets the drop-path rate of the last block, the others rising linearly from 0 (timm's rule). */
  setDropPath(rate: number): void {
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`vit: dropPath must be in [0, 1), got ${rate}`);
    const blocks = this.blocks.children() as TimmBlock[];
    blocks.forEach((b, i) => b.setDropPath(blocks.length > 1 ? (rate * i) / (blocks.length - 1) : rate));
  }

  /** Patch tokens with their position embedding added [N, (S/p)², D] (no class token): MAE masks these. */
  embedPatches(x: Tensor): Tensor {
    const [, , h, w] = x.shape as [number, number, number, number];
    if (h !== this.imageSize || w !== this.imageSize) {
      throw new RangeError(`vit: expected ${this.imageSize}x${this.imageSize} input (the imageSize option), got ${h}x${w}`);
    }
    return scope(() => this.patch_embed.forward(x).add(this.pos_embed.slice(1, 1)));
  }

  /** Prepends the class token (with its position embedding) to `patches` [N, L, D] and runs the blocks. */
  forwardBlocks(patches: Tensor): Tensor {
    return scope(() => {
      const cls = this.cls_token.add(this.pos_embed.slice(1, 0, 1)).expand(patches.size(0), -1, -1);
      return this.blocks.forward(cat([cls, patches], 1));
    });
  }

  /** The final tokens [N, 1 + (S/p)², D], class token first, after `norm` when the model has one. */
  forwardTokens(x: Tensor): Tensor {
    return scope(() => {
      const tokens = this.forwardBlocks(this.embedPatches(x));
      return this.norm ? this.norm.forward(tokens) : tokens;
    });
  }

  /** The patch tokens as a feature map [N, D, S/p, S/p] (for attention maps and crops). */
  forwardFeatures(x: Tensor): Tensor {
    return scope(() => {
      const tokens = this.forwardTokens(x);
      return tokens.slice(1, 1).transpose(1, 2).reshape(tokens.size(0), this.numFeatures, this.gridSize, this.gridSize);
    });
  }

  /** The class token ('token') or the normalised mean of the patch tokens ('avg') [N, D]. */
  override forwardEmbedding(x: Tensor): Tensor {
    return scope(() => {
      const tokens = this.forwardTokens(x);
      if (this.globalPool === 'token') return tokens.select(1, 0).contiguous();
      return this.fc_norm!.forward(tokens.slice(1, 1).mean([1]));
    });
  }
}

export const timmVitVariants: ModelVariant[] = Object.entries(TIMM_VIT).map(([name, config]) => ({
  name,
  family: 'vit',
  source: 'timm',
  inputSize: [3, 224, 224],
  build: (options) => new TimmVisionTransformer(config, options),
}));
