/**
 * Writes the file fine-tuning starts from: `encoder.safetensors` in an MAE run folder — the
 * encoder's state dict with timm's ViT keys (patch_embed.proj, cls_token, pos_embed, blocks.N.…,
 * norm; no decoder, no mask token, no head), exactly what a `TimmVisionTransformer` of the same
 * size loads, plus the `finegrain-mae` metadata that `readMaeEncoder` (models/vit/mae-encoder.ts)
 * reads: the format, model, imageSize, patchSize, maskRatio, epochs, and the normalisation the
 * images had. Written atomically after every epoch, so a stopped run leaves a usable encoder.
 *
 * @example
 *   writeEncoderFile('runs/mae/a/encoder.safetensors', mae, { model: 'vit_tiny_patch16_224', imageSize: 128, patchSize: 16, maskRatio: 0.75, epochs: 3, mean, std });
 *   readMaeEncoder('runs/mae/a')?.info.epochs;   // 3
 */
import { saveSafetensors } from '../../io/safetensors/index.js';
import { MAE_ENCODER_FORMAT, MAE_ENCODER_METADATA_KEY, type MaeEncoderInfo } from '../../models/vit/mae-encoder.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { MaskedAutoencoder } from './masked-autoencoder.js';

/** What `writeEncoderFile` records: the reader's fields, and the images' normalisation. */
export interface EncoderFileInfo extends Omit<MaeEncoderInfo, 'format'> {
  /** The images' normalisation: mean per channel. */
  mean: number[];
  /** The images' normalisation: standard deviation per channel. */
  std: number[];
}

/**
 * Writes the encoder's weights and `info` (atomically, as every safetensors save here).
 *
 * @example
 *   writeEncoderFile(path, mae, info);
 */
export function writeEncoderFile(path: string, model: MaskedAutoencoder, info: EncoderFileInfo): void {
  scope(() => {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of model.encoderEntries()) tensors[k] = t.detach().float().contiguous();
    saveSafetensors(path, tensors, { [MAE_ENCODER_METADATA_KEY]: JSON.stringify({ format: MAE_ENCODER_FORMAT, ...info }) });
  });
}
