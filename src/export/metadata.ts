/**
 * What an exported model says about itself, in ONNX `metadata_props` (string → string): the
 * class list, the preprocessing a caller must apply before feeding `input`, and the
 * open-world calibration when the checkpoint had one (an opaque JSON string, defined by the
 * open-world helper). Keys are namespaced `finegrain.*`; values are JSON.
 *
 * @example
 *   const meta = exportMetadata({ model: 'resnet50', classes: ['a', 'b'], preprocessing: DEFAULT_PREPROCESSING(224) });
 *   parseExportMetadata(meta).classes; // ['a', 'b']
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../models/preprocess-config.js';

/** How images become the `input` tensor (what finegrain's eval does). */
export interface Preprocessing {
  /** Height and width of `input` (the model is traced at this size). */
  inputSize: [number, number];
  /** Per-channel mean and std of RGB in [0, 1]: input = (pixel / 255 − mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Fraction of the resized image kept by a centre crop (1: the whole image, resized to inputSize). */
  cropFraction: number;
  /** Resampling filter of the resize. */
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
  /** Channel order and layout of `input`. */
  layout: 'NCHW-RGB';
}

export interface ExportMetadata {
  /** Registry name of the architecture. */
  model: string;
  /** Class names in logit order. */
  classes: string[];
  preprocessing: Preprocessing;
  /** Open-world calibration (thresholds etc.) as the helper that made it wrote it; null if none. */
  calibration: string | null;
  /** Width of the `embedding` output. */
  embeddingSize?: number;
  /** 'fp32' or 'int8' (QDQ). */
  precision?: string;
}

/** finegrain's eval preprocessing: squash-resize to `size` (bilinear), ImageNet normalisation. */
export function defaultPreprocessing(
  size: number | [number, number],
  mean: [number, number, number] = [...IMAGENET_MEAN],
  std: [number, number, number] = [...IMAGENET_STD],
): Preprocessing {
  const inputSize: [number, number] = typeof size === 'number' ? [size, size] : size;
  return { inputSize, mean, std, cropFraction: 1, interpolation: 'bilinear', layout: 'NCHW-RGB' };
}

export const METADATA_KEYS = {
  model: 'finegrain.model',
  classes: 'finegrain.classes',
  preprocessing: 'finegrain.preprocessing',
  calibration: 'finegrain.calibration',
  embeddingSize: 'finegrain.embedding_size',
  precision: 'finegrain.precision',
  format: 'finegrain.format',
} as const;

/** The format tag readers check. */
export const EXPORT_FORMAT = 'finegrain-onnx/1';

/** The metadata_props entries. */
export function exportMetadata(m: ExportMetadata): Record<string, string> {
  if (m.calibration !== null) {
    try {
      JSON.parse(m.calibration);
    } catch (e) {
      throw new TypeError(`calibration must be a JSON string: ${(e as Error).message}`, { cause: e });
    }
  }
  const out: Record<string, string> = {
    [METADATA_KEYS.format]: EXPORT_FORMAT,
    [METADATA_KEYS.model]: m.model,
    [METADATA_KEYS.classes]: JSON.stringify(m.classes),
    [METADATA_KEYS.preprocessing]: JSON.stringify(m.preprocessing),
    [METADATA_KEYS.precision]: m.precision ?? 'fp32',
  };
  if (m.embeddingSize !== undefined) out[METADATA_KEYS.embeddingSize] = String(m.embeddingSize);
  if (m.calibration !== null) out[METADATA_KEYS.calibration] = m.calibration;
  return out;
}

/** Reads the entries back; throws with the key's name when one is missing or malformed. */
export function parseExportMetadata(props: Record<string, string>): ExportMetadata {
  const need = (key: string): string => {
    const v = props[key];
    if (v === undefined) throw new Error(`not a finegrain export: metadata '${key}' is missing`);
    return v;
  };
  const json = <T>(key: string): T => {
    try {
      return JSON.parse(need(key)) as T;
    } catch (e) {
      if ((e as Error).message.startsWith('not a finegrain')) throw e;
      throw new Error(`metadata '${key}' is not valid JSON`, { cause: e });
    }
  };
  const classes = json<string[]>(METADATA_KEYS.classes);
  if (!Array.isArray(classes) || classes.some((c) => typeof c !== 'string')) throw new Error(`metadata '${METADATA_KEYS.classes}' must be a list of strings`);
  const size = props[METADATA_KEYS.embeddingSize];
  return {
    model: need(METADATA_KEYS.model),
    classes,
    preprocessing: json<Preprocessing>(METADATA_KEYS.preprocessing),
    calibration: props[METADATA_KEYS.calibration] ?? null,
    ...(size !== undefined ? { embeddingSize: Number(size) } : {}),
    precision: props[METADATA_KEYS.precision] ?? 'fp32',
  };
}
