/**
 * Self-supervised pretraining on unlabelled photos: the masked autoencoder (MAE, He et al.
 * 2022) — `pretrain()` and `finegrain pretrain --method mae` — whose encoder `train
 * --pretrained` fine-tunes.
 *
 * Exported from `finegrain` as the `mae` namespace (and `pretrain` at the top). Guide:
 * docs/pretraining.md.
 *
 * @example
 *   import { pretrain, readMaeEncoder } from 'finegrain';
 *   const r = await pretrain({ data: 'listing-photos/', model: 'vit_small_patch16_224', imageSize: 128, epochs: 200 });
 *   readMaeEncoder(r.runDir)?.info.epochs;   // 200
 *
 * @module
 */
export { pretrain, type PretrainOptions, type PretrainResult } from './mae/pretrain.js';
export { parseMaeConfig, effectiveLr, warmupEpochsOf, type MaeConfig, type MaeConfigInput } from './mae/config.js';
export {
  MaskedAutoencoder,
  defaultDecoder,
  type MaskedAutoencoderOptions,
  type MaeForward,
  type MaeForwardOptions,
  type MaeEncoded,
  type DecoderSize,
} from './mae/masked-autoencoder.js';
export { randomMasking, keptPatches, type MaskedTokens } from './mae/random-masking.js';
export { maeLoss, normalizedPixelTarget } from './mae/mae-loss.js';
export { patchify, unpatchify } from './mae/patchify.js';
export { writeEncoderFile, type EncoderFileInfo } from './mae/encoder-file.js';
export { reconstructionRows, writeReconstructionPicture, type ReconstructionOptions } from './mae/reconstruction-picture.js';
