/**
 * The file fine-tuning starts from: `encoder.safetensors` in an MAE run folder — the encoder's
 * state dict with timm's ViT keys (patch_embed.proj, cls_token, pos_embed, blocks.N.…, norm; no
 * decoder, no mask token, no head), exactly what a `TimmVisionTransformer` of the same size
 * loads, plus the metadata key `finegrain-mae`: a JSON record of what was pretrained
 * (`format` 'finegrain-mae-encoder/1', model, imageSize, patchSize, maskRatio, epochs, and the
 * normalisation the images had). Written atomically after every epoch, so a stopped run
 * leaves a usable encoder.
 *
 * @example
 *   writeEncoderFile('runs/mae/a/encoder.safetensors', mae, { model: 'vit_tiny_patch16_224', imageSize: 128, patchSize: 16, maskRatio: 0.75, epochs: 3, mean, std });
 *   readEncoderInfo('runs/mae/a/encoder.safetensors').model;   // 'vit_tiny_patch16_224'
 */
import { openSafetensors, saveSafetensors } from '../../io/safetensors/index.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { UsageError } from '../../usage-error.js';
import type { MaskedAutoencoder } from './masked-autoencoder.js';

/** The metadata key that marks an MAE encoder file. */
export const MAE_ENCODER_KEY = 'finegrain-mae';
/** The format this version writes. */
export const MAE_ENCODER_FORMAT = 'finegrain-mae-encoder/1';

/** What an encoder file says about its pretraining. */
export interface MaeEncoderInfo {
  /** The encoder's registry name. */
  model: string;
  /** The square input side it was pretrained at. */
  imageSize: number;
  /** Its patch side. */
  patchSize: number;
  /** The mask ratio of the pretraining. */
  maskRatio: number;
  /** Epochs of pretraining behind these weights. */
  epochs: number;
  /** The images' normalisation (mean per channel). */
  mean: number[];
  /** The images' normalisation (standard deviation per channel). */
  std: number[];
}

/**
 * Writes the encoder's weights and `info` (atomically, as every safetensors save here).
 *
 * @example
 *   writeEncoderFile(path, mae, info);
 */
export function writeEncoderFile(path: string, model: MaskedAutoencoder, info: MaeEncoderInfo): void {
  scope(() => {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of model.encoderEntries()) tensors[k] = t.detach().float().contiguous();
    saveSafetensors(path, tensors, { [MAE_ENCODER_KEY]: JSON.stringify({ format: MAE_ENCODER_FORMAT, ...info }) });
  });
}

/**
 * The record of an encoder file; a clear error when the file is not one.
 *
 * @example
 *   readEncoderInfo('runs/mae/a/encoder.safetensors').imageSize;
 */
export function readEncoderInfo(path: string): MaeEncoderInfo {
  using f = openSafetensors(path);
  const raw = f.metadata[MAE_ENCODER_KEY];
  if (typeof raw !== 'string') throw new UsageError(`${path} is not an MAE encoder file (no '${MAE_ENCODER_KEY}' metadata)`);
  let parsed: { format?: unknown } & Partial<MaeEncoderInfo>;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError(`${path}: its '${MAE_ENCODER_KEY}' metadata is not valid JSON`);
  }
  if (parsed.format !== MAE_ENCODER_FORMAT)
    throw new UsageError(`${path}: encoder format ${String(parsed.format)}, this finegrain reads ${MAE_ENCODER_FORMAT}`);
  const { model, imageSize, patchSize, maskRatio, epochs, mean, std } = parsed;
  if (typeof model !== 'string' || typeof imageSize !== 'number' || typeof patchSize !== 'number')
    throw new UsageError(`${path}: incomplete MAE encoder metadata`);
  return { model, imageSize, patchSize, maskRatio: maskRatio ?? NaN, epochs: epochs ?? NaN, mean: mean ?? [], std: std ?? [] };
}
