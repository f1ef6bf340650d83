/**
 * Masked-autoencoder encoders as a starting point: finegrain's own (`finegrain pretrain` writes
 * `runs/mae/<name>/encoder.safetensors`, a timm-named ViT state dict without head or decoder,
 * described by the safetensors metadata key `finegrain-mae`) and the MAE reference
 * implementation's checkpoints (`mae_pretrain_vit_base.pth`: `{'model': state_dict}` with timm's
 * keys; the visualisation ones also carry the decoder). This file tells them apart from other
 * weights; vit-weights.ts loads them.
 *
 * @example
 *   const mae = readMaeEncoder('runs/mae/birds');     // the folder or its encoder.safetensors
 *   if (mae) createModel(mae.info.model, { pretrained: mae.file, numClasses: 200 });
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../../io/safetensors/index.js';
import { openWeights, weightsFormat, type WeightsFile } from '../../io/weights-file.js';
import { TIMM_VIT } from './timm-vit.js';
import { UsageError } from '../../usage-error.js';
import { isDecoderKey, vitLayoutOf } from './vit-weights.js';

/**
 * The safetensors metadata key of a finegrain MAE encoder; its value is `MaeEncoderInfo` as JSON.
 * @example saveSafetensors('encoder.safetensors', tensors, { [MAE_ENCODER_METADATA_KEY]: JSON.stringify(info) });
 */
export const MAE_ENCODER_METADATA_KEY = 'finegrain-mae';
/**
 * The `format` of `MaeEncoderInfo` this version reads.
 * @example const info = { format: MAE_ENCODER_FORMAT, model: 'vit_tiny_patch16_224', imageSize: 128, patchSize: 16, maskRatio: 0.75, epochs: 100 };
 */
export const MAE_ENCODER_FORMAT = 'finegrain-mae-encoder/1';
/**
 * The encoder's file name inside an MAE run folder.
 * @example join('runs/mae/birds', MAE_ENCODER_FILE); // 'runs/mae/birds/encoder.safetensors'
 */
export const MAE_ENCODER_FILE = 'encoder.safetensors';

/**
 * What a finegrain MAE encoder says about itself (the `finegrain-mae` metadata).
 * @example readMaeEncoder('runs/mae/birds')?.info.imageSize; // 128
 */
export interface MaeEncoderInfo {
  /** `MAE_ENCODER_FORMAT`. */
  format: string;
  /** The registry name of the encoder's architecture, e.g. 'vit_tiny_patch16_224'. */
  model: string;
  /** The square input side the position embedding was pretrained at. */
  imageSize: number;
  /** The patch side in pixels. */
  patchSize: number;
  /** The share of patches hidden during pretraining. */
  maskRatio: number;
  /** Pretraining epochs completed. */
  epochs: number;
}

/**
 * A weights spec with an MAE run folder resolved to the encoder in it: `runs/mae/x` becomes
 * `runs/mae/x/encoder.safetensors`; any other spec is returned unchanged.
 *
 * @example resolveWeightsPath('runs/mae/birds'); // 'runs/mae/birds/encoder.safetensors'
 */
export function resolveWeightsPath(spec: string): string {
  if (!existsSync(spec) || !statSync(spec).isDirectory()) return spec;
  const file = join(spec, MAE_ENCODER_FILE);
  if (!existsSync(file)) throw new UsageError(`${spec} is a folder without ${MAE_ENCODER_FILE}: pass an MAE run folder (finegrain pretrain) or a weights file`);
  return file;
}

function parseInfo(path: string, text: string): MaeEncoderInfo {
  let v: Partial<MaeEncoderInfo>;
  try {
    v = JSON.parse(text) as Partial<MaeEncoderInfo>;
  } catch (e) {
    throw new UsageError(`${path}: the ${MAE_ENCODER_METADATA_KEY} metadata is not JSON (${(e as Error).message})`);
  }
  if (v.format !== MAE_ENCODER_FORMAT)
    throw new UsageError(`${path}: MAE encoder format '${String(v.format)}' is not one this version reads (${MAE_ENCODER_FORMAT})`);
  const positiveInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x > 0;
  if (typeof v.model !== 'string' || !positiveInt(v.imageSize) || !positiveInt(v.patchSize))
    throw new UsageError(`${path}: the ${MAE_ENCODER_METADATA_KEY} metadata needs model, imageSize and patchSize`);
  return { format: v.format, model: v.model, imageSize: v.imageSize!, patchSize: v.patchSize!, maskRatio: v.maskRatio ?? NaN, epochs: v.epochs ?? NaN };
}

/**
 * The finegrain MAE encoder at `spec` (an MAE run folder or its `encoder.safetensors`) and its
 * metadata, or null when `spec` is anything else (another weights file, a name).
 *
 * @example
 *   const mae = readMaeEncoder('runs/mae/birds');
 *   mae?.info.imageSize; // 128
 */
export function readMaeEncoder(spec: string): {
  /** The encoder file (the folder's `encoder.safetensors`). */
  file: string;
  /** Its `finegrain-mae` metadata. */
  info: MaeEncoderInfo;
} | null {
  const file = resolveWeightsPath(spec);
  if (!existsSync(file) || statSync(file).isDirectory() || weightsFormat(file) !== 'safetensors') return null;
  using f = openSafetensors(file);
  const text = f.metadata[MAE_ENCODER_METADATA_KEY];
  return text === undefined ? null : { file, info: parseInfo(file, text) };
}

/**
 * What `describeMaeWeights` found.
 * @example if (describeMaeWeights(spec)?.kind === 'checkpoint') console.log('an MAE release checkpoint');
 */
export type MaeWeights =
  | {
      /** A finegrain MAE encoder, with its metadata. */
      kind: 'finegrain';
      /** The encoder file. */
      file: string;
      /** Its metadata. */
      info: MaeEncoderInfo;
    }
  | {
      /** A ViT state dict in timm's layout without a classifier: an MAE reference checkpoint (`mae_pretrain_vit_base.pth`). */
      kind: 'checkpoint';
      /** The weights file (with its `#entry`, if any). */
      file: string;
      /** Whether it carries the pretraining decoder too (the visualisation checkpoints). */
      decoder: boolean;
      /** The timm-named architecture its shapes match (width and depth), if any. */
      model?: string;
      /** The input side its position embedding was trained at (grid × patch). */
      imageSize: number;
      /** Its patch side. */
      patchSize: number;
    };

/**
 * Whether the local weights at `spec` are a masked-autoencoder encoder, and which kind: a
 * finegrain MAE encoder (by its metadata), or a timm-layout ViT state dict with no classifier
 * (what the MAE reference implementation releases). Null for anything else, names
 * (`torchvision:…`, `hf-hub:…`) included: nothing is downloaded to decide.
 *
 * @example
 *   describeMaeWeights('mae_pretrain_vit_base.pth#model'); // { kind: 'checkpoint', decoder: false, … }
 */
export function describeMaeWeights(spec: string): MaeWeights | null {
  const mae = readMaeEncoder(spec);
  if (mae) return { kind: 'finegrain', ...mae };
  const file = resolveWeightsPath(spec);
  const path = existsSync(file) ? file : file.replace(/#[^#/\\]*$/, '');
  if (!existsSync(path) || statSync(path).isDirectory() || weightsFormat(path) === 'unknown') return null;
  let w: WeightsFile;
  try {
    w = openWeights(file);
  } catch {
    return null;
  }
  try {
    const keys = w.keys();
    if (vitLayoutOf(keys) !== 'timm' || keys.some((k) => k.startsWith('head.') || k.startsWith('fc_norm.'))) return null;
    // The architecture from the shapes: width, depth, patch side, grid.
    const width = w.info('cls_token').shape.at(-1)!;
    const depth = new Set(keys.flatMap((k) => /^blocks\.(\d+)\./.exec(k)?.[1] ?? [])).size;
    const patchSize = w.info('patch_embed.proj.weight').shape.at(-1)!;
    const grid = Math.round(Math.sqrt(w.info('pos_embed').shape[1]! - 1));
    const model = Object.entries(TIMM_VIT).find(([, c]) => c.embedDim === width && c.depth === depth)?.[0];
    return { kind: 'checkpoint', file, decoder: keys.some(isDecoderKey), ...(model ? { model } : {}), imageSize: grid * patchSize, patchSize };
  } finally {
    w.close();
  }
}
