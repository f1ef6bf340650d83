/**
 * Reads timm's `config.json` from a hub repository into what finegrain needs: the
 * architecture, the class count and names, and the evaluation preprocessing. timm writes it
 * (`push_to_hf_hub`) as
 *
 *     { "architecture": "resnet50", "num_classes": 1000, "label_names": […],
 *       "pretrained_cfg": { "input_size": [3, 224, 224], "interpolation": "bicubic",
 *                           "crop_pct": 0.95, "mean": […], "std": […], … } }
 *
 * `input_size`'s H becomes `inputSize`, `crop_pct` the `cropFraction` (timm's default 0.875
 * when absent), mean/std are copied (ImageNet's when absent). finegrain always resamples
 * bilinearly, so the reference's interpolation is returned apart, for the caller to record.
 *
 * @example
 *   const cfg = parseTimmConfig(readFileSync(path, 'utf8'), 'config.json');
 *   cfg.preprocess;     // { inputSize: 224, cropFraction: 0.95, interpolation: 'bilinear', mean, std }
 */
import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessConfig, type Rgb } from '../models/preprocess-config.js';
import { WeightsError } from './errors.js';

/**
 * What finegrain takes from a timm config.json (fields absent when the config lacks them).
 *
 * @example
 *   const cfg: TimmConfig = { architecture: 'resnet50', numClasses: 1000, interpolation: 'bicubic' };
 */
export interface TimmConfig {
  architecture?: string;
  numClasses?: number;
  classNames?: string[];
  preprocess?: PreprocessConfig;
  interpolation?: string;
}

const DEFAULT_CROP_PCT = 0.875;

type Json = Record<string, unknown>;

function rgb(value: unknown, fallback: Readonly<Rgb>): Rgb {
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) return [value[0], value[1], value[2]];
  if (typeof value === 'number') return [value, value, value];
  return [fallback[0], fallback[1], fallback[2]];
}

/**
 * Parses config.json text; the second argument names the file in the error for malformed JSON.
 *
 * @example
 *   parseTimmConfig('{"architecture":"resnet18","num_classes":10}', 'config.json').numClasses; // 10
 */
export function parseTimmConfig(text: string, where: string): TimmConfig {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw new WeightsError('INTEGRITY', `${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null) throw new WeightsError('INTEGRITY', `${where}: not a JSON object`);
  const cfg = (typeof json.pretrained_cfg === 'object' && json.pretrained_cfg !== null ? json.pretrained_cfg : {}) as Json;
  const out: TimmConfig = {};
  if (typeof json.architecture === 'string') out.architecture = json.architecture;
  const labels = json.label_names;
  if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) out.classNames = labels as string[];
  const n = json.num_classes ?? cfg.num_classes;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out.numClasses = n;
  else if (out.classNames) out.numClasses = out.classNames.length;
  const size = cfg.input_size;
  if (Array.isArray(size) && size.length === 3 && typeof size[1] === 'number') {
    const crop = typeof cfg.crop_pct === 'number' && cfg.crop_pct > 0 && cfg.crop_pct <= 1 ? cfg.crop_pct : DEFAULT_CROP_PCT;
    out.preprocess = { inputSize: size[1], interpolation: 'bilinear', cropFraction: crop, mean: rgb(cfg.mean, IMAGENET_MEAN), std: rgb(cfg.std, IMAGENET_STD) };
  }
  if (typeof cfg.interpolation === 'string') out.interpolation = cfg.interpolation;
  return out;
}
