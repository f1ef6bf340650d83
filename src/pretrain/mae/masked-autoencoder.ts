/**
 * The masked autoencoder of He et al., "Masked Autoencoders Are Scalable Vision Learners"
 * (CVPR 2022), with the reference implementation's (models_mae.py) module and state-dict names:
 * the encoder is a timm-named ViT (`patch_embed`, `cls_token`, `pos_embed`, `blocks`, `norm`)
 * that sees only the visible patches; the decoder (`decoder_embed`, `mask_token`,
 * `decoder_pos_embed`, `decoder_blocks`, `decoder_norm`, `decoder_pred`) sees the encoded visible
 * tokens with a shared learnt mask token in every removed place, each with its own position
 * embedding, and predicts every patch's pixels. Both position embeddings are the fixed 2-D
 * sine-cosine ones (not trained). The encoder's part of the state dict is what
 * `TimmVisionTransformer` loads for fine-tuning.
 *
 * Initialisation as the reference's `initialize_weights`: Xavier-uniform Linear weights (and the
 * patch projection, as a [D, 3·p²] matrix), zero biases, class and mask tokens N(0, 0.02²).
 *
 * @example
 *   const mae = new MaskedAutoencoder({ model: 'vit_tiny_patch16_224', imageSize: 128, decoderDepth: 8, decoderDim: 128 });
 *   const { loss } = mae.forwardLoss(images, { maskRatio: 0.75, normPixLoss: true });
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import { fromTypedArray, zeros } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { LayerNorm } from '../../nn/layers/layer-norm.js';
import { normal_, uniform_, xavierUniform_, zeros_ } from '../../nn/init.js';
import { TIMM_VIT, TimmVisionTransformer } from '../../models/vit/timm-vit.js';
import { TimmBlock, vitNorm } from '../../models/vit/timm-block.js';
import { sincosPositionEmbedding } from '../../models/vit/sincos-position.js';
import { randomMasking } from './random-masking.js';
import { patchify } from './patchify.js';
import { maeLoss } from './mae-loss.js';

/** The architecture of a masked autoencoder. */
export interface MaskedAutoencoderOptions {
  /** The encoder: a timm-named ViT of the registry (`vit_tiny_patch16_224` …). */
  model: string;
  /** The square input side in pixels (default 224). */
  imageSize?: number;
  /** The patch side in pixels (default the model's, 16). */
  patchSize?: number;
  /** Decoder blocks (default `defaultDecoder(model).depth`). */
  decoderDepth?: number;
  /** Decoder token width (default `defaultDecoder(model).dim`). */
  decoderDim?: number;
  /** Decoder attention heads (default decoderDim / 32, the paper's 16 heads at 512). */
  decoderHeads?: number;
}

/** A decoder's size. */
export interface DecoderSize {
  /** Blocks. */
  depth: number;
  /** Token width. */
  dim: number;
}

/** What the encoder returns; the caller owns the tensors. */
export interface MaeEncoded {
  /** The encoded visible tokens [N, 1 + keep, D], class token first, after `norm`. */
  latent: Tensor;
  /** 1 where a patch was removed [N, L]. */
  mask: Tensor;
  /** The inverse of the shuffle [N, L]. */
  idsRestore: Tensor;
}

/**
 * The paper's decoder scaled to the encoder: depth 8 and two thirds of the encoder's width
 * (ViT-B's 512 of 768), at most 512 (ViT-L and ViT-H keep 512, as the paper).
 *
 * @example
 *   defaultDecoder('vit_tiny_patch16_224');   // { depth: 8, dim: 128 }
 */
export function defaultDecoder(model: string): DecoderSize {
  const config = TIMM_VIT[model];
  if (!config) throw new RangeError(`MAE needs a timm-named ViT (${Object.keys(TIMM_VIT).join(', ')}), got '${model}'`);
  return { depth: 8, dim: Math.min(512, Math.round((config.embedDim * 2) / 3 / 32) * 32) };
}

/** Options of `MaskedAutoencoder.forwardLoss`. */
export interface MaeForwardOptions {
  /** Share of each image's patches removed (the paper: 0.75). */
  maskRatio: number;
  /** Standardise each target patch by its own mean and variance (the paper's better target). */
  normPixLoss: boolean;
  /** Runs the network under mixed precision (the loss stays float32); default: as it is. */
  autocast?: <T>(fn: () => T) => T;
  /** The masking noise [N, L] instead of a random draw (tests compare with the reference). */
  noise?: Tensor;
}

/** What `forwardLoss` returns; the caller owns the tensors. */
export interface MaeForward {
  /** The loss over the removed patches (a scalar, float32). */
  loss: Tensor;
  /** The predicted patches [N, L, p²·3] (float32). */
  pred: Tensor;
  /** 1 where a patch was removed [N, L]. */
  mask: Tensor;
}

/**
 * The MAE model (see the file comment).
 *
 * @example
 *   const mae = new MaskedAutoencoder({ model: 'vit_small_patch16_224' });
 */
export class MaskedAutoencoder extends TimmVisionTransformer {
  /** The encoder-to-decoder projection. */
  declare readonly decoder_embed: Linear;
  /** The learnt token put in every removed patch's place [1, 1, decoderDim]. */
  declare readonly mask_token: Tensor;
  /** The decoder's fixed sine-cosine position embedding [1, 1 + L, decoderDim]. */
  declare readonly decoder_pos_embed: Tensor;
  /** The decoder's blocks. */
  declare readonly decoder_blocks: Sequential;
  /** The decoder's final LayerNorm. */
  declare readonly decoder_norm: LayerNorm;
  /** The pixel prediction: decoderDim → p²·3. */
  declare readonly decoder_pred: Linear;
  /** The encoder's registry name. */
  readonly model: string;

  constructor(options: MaskedAutoencoderOptions) {
    const config = TIMM_VIT[options.model];
    if (!config) throw new RangeError(`MAE needs a timm-named ViT (${Object.keys(TIMM_VIT).join(', ')}), got '${options.model}'`);
    super(config, { numClasses: 0, imageSize: options.imageSize, patchSize: options.patchSize, globalPool: 'token' });
    this.model = options.model;
    const d = config.embedDim;
    const defaults = defaultDecoder(options.model);
    const decoderDim = options.decoderDim ?? defaults.dim;
    const decoderDepth = options.decoderDepth ?? defaults.depth;
    const decoderHeads = options.decoderHeads ?? Math.max(1, Math.round(decoderDim / 32));
    if (!Number.isInteger(decoderDepth) || decoderDepth < 1) throw new RangeError(`MAE: decoderDepth must be a positive integer, got ${decoderDepth}`);
    if (!Number.isInteger(decoderDim) || decoderDim < 4 || decoderDim % 4)
      throw new RangeError(`MAE: decoderDim must be a positive multiple of 4, got ${decoderDim}`);
    if (decoderDim % decoderHeads) throw new RangeError(`MAE: decoderDim ${decoderDim} is not divisible by decoderHeads ${decoderHeads}`);
    const tokens = this.gridSize ** 2 + 1;
    this.registerModule('decoder_embed', new Linear(d, decoderDim));
    this.registerParameter('mask_token', zeros([1, 1, decoderDim]));
    this.registerParameter('decoder_pos_embed', zeros([1, tokens, decoderDim]));
    const blocks: [string, Module][] = [];
    for (let i = 0; i < decoderDepth; i++) blocks.push([String(i), new TimmBlock({ dim: decoderDim, numHeads: decoderHeads, mlpRatio: config.mlpRatio })]);
    this.registerModule('decoder_blocks', new Sequential(blocks));
    this.registerModule('decoder_norm', vitNorm(decoderDim));
    this.registerModule('decoder_pred', new Linear(decoderDim, this.patchSize * this.patchSize * 3));
    this.initialize(d, decoderDim);
  }

  private initialize(d: number, decoderDim: number): void {
    noGrad(() =>
      scope(() => {
        const side = this.gridSize;
        this.pos_embed.copy_(fromTypedArray(sincosPositionEmbedding(d, side, { classToken: true }), [1, side * side + 1, d]));
        this.decoder_pos_embed.copy_(fromTypedArray(sincosPositionEmbedding(decoderDim, side, { classToken: true }), [1, side * side + 1, decoderDim]));
      }),
    );
    this.pos_embed.requiresGrad_(false);
    this.decoder_pos_embed.requiresGrad_(false);
    // The patch projection as a Linear [D, 3·p²]: Xavier bound sqrt(6 / (fanIn + fanOut)).
    const w = this.patch_embed.proj.weight;
    const bound = Math.sqrt(6 / (w.size(1) * w.size(2) * w.size(3) + w.size(0)));
    uniform_(w, -bound, bound);
    normal_(this.cls_token, 0, 0.02);
    normal_(this.mask_token, 0, 0.02);
    for (const m of this.modules()) {
      if (m instanceof Linear) {
        xavierUniform_(m.weight);
        zeros_(m.bias!);
      }
    }
  }

  /** Patches per image. */
  get numPatches(): number {
    return this.gridSize ** 2;
  }

  /**
   * The encoder on a random subset of each image's patches: the latent tokens [N, 1 + keep, D]
   * (class token first, after `norm`), the mask and the inverse shuffle.
   */
  forwardEncoder(images: Tensor, maskRatio: number, noise?: Tensor): MaeEncoded {
    return scope(() => {
      const { visible, mask, idsRestore } = randomMasking(this.embedPatches(images), maskRatio, { noise });
      const latent = this.norm!.forward(this.forwardBlocks(visible));
      return { latent, mask, idsRestore };
    });
  }

  /** The decoder: every patch's predicted pixels [N, L, p²·3] from the latent tokens and the inverse shuffle. */
  forwardDecoder(latent: Tensor, idsRestore: Tensor): Tensor {
    return scope(() => {
      const x = this.decoder_embed.forward(latent);
      const [n, kept1, dd] = x.shape as [number, number, number];
      const l = this.numPatches;
      const masks = this.mask_token.expand(n, l + 1 - kept1, dd);
      // Visible tokens then mask tokens, in shuffled order; un-shuffle; the class token in front.
      const shuffled = cat([x.slice(1, 1), masks], 1);
      const restored = shuffled.gather(1, idsRestore.unsqueeze(-1).expand(n, l, dd));
      const tokens = cat([x.slice(1, 0, 1), restored], 1).add(this.decoder_pos_embed);
      const y = this.decoder_norm.forward(this.decoder_blocks.forward(tokens));
      return this.decoder_pred.forward(y).slice(1, 1);
    });
  }

  /**
   * One MAE pass: encode visible patches, decode all, the loss on removed ones. `images` are
   * the normalised pixels [N, 3, S, S] (the target is taken from them, as the reference does).
   */
  forwardLoss(images: Tensor, options: MaeForwardOptions): MaeForward {
    return scope(() => {
      const run = options.autocast ?? (<T>(fn: () => T) => fn());
      const { pred, mask } = run(() => {
        const { latent, mask, idsRestore } = this.forwardEncoder(images, options.maskRatio, options.noise);
        return { pred: this.forwardDecoder(latent, idsRestore), mask };
      });
      const pred32 = pred.float();
      const loss = maeLoss(pred32, patchify(images, this.patchSize), mask, { normPixLoss: options.normPixLoss });
      return { loss, pred: pred32, mask };
    });
  }

  /** The encoder's part of the state dict (timm's ViT keys: what fine-tuning loads). */
  encoderEntries(): [string, Tensor][] {
    return this.stateEntries().filter(([k]) => !k.startsWith('decoder_') && k !== 'mask_token');
  }
}
