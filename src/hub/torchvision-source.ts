/**
 * `torchvision:<arch>[.<WEIGHTS>]` names: looked up in the table generated from torchvision's
 * weight enums, turned into the download URL (`FINEGRAIN_TORCHVISION_URL`, default
 * https://download.pytorch.org/models/) and into finegrain's preprocessing: `inputSize` is
 * the crop, `cropFraction` crop / resize (so `resizeSide()` gives torchvision's resize back).
 *
 * @example
 *   const row = torchvisionWeights('resnet50', 'IMAGENET1K_V2');
 *   torchvisionPreprocess(row); // { inputSize: 224, cropFraction: 224 / 232, interpolation: 'bilinear', mean, std }
 */
import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessConfig } from '../models/preprocess-config.js';
import { torchvisionBaseUrl } from './env.js';
import { WeightsError } from './errors.js';
import type { TorchvisionWeights } from './torchvision-types.js';
import { TORCHVISION_WEIGHTS } from './torchvision-weights.js';

/**
 * The row for an architecture's weights (its DEFAULT when `weights` is undefined), or a
 * `WeightsError('UNKNOWN_WEIGHTS')` listing what exists.
 *
 * @example
 *   torchvisionWeights('resnet50').weights; // 'IMAGENET1K_V2'
 */
export function torchvisionWeights(arch: string, weights?: string): TorchvisionWeights {
  const rows = TORCHVISION_WEIGHTS.filter((r) => r.arch === arch);
  if (!rows.length) {
    const archs = [...new Set(TORCHVISION_WEIGHTS.map((r) => r.arch))];
    const near = archs.filter((a) => a.startsWith(arch.replace(/[_\d].*$/, '')));
    throw new WeightsError(
      'UNKNOWN_WEIGHTS',
      `torchvision:${arch}: finegrain has no torchvision weights for '${arch}'; architectures with weights: ${(near.length ? near : archs).join(', ')}`,
    );
  }
  const row = weights === undefined ? rows.find((r) => r.isDefault) : rows.find((r) => r.weights === weights);
  if (!row) {
    throw new WeightsError(
      'UNKNOWN_WEIGHTS',
      `torchvision:${arch}.${weights}: no such weights; ${arch} has ${rows.map((r) => r.weights).join(', ')} (default ${rows.find((r) => r.isDefault)?.weights})`,
    );
  }
  return row;
}

/** The URL of a row's file. @example torchvisionUrl(row); // 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth' */
export function torchvisionUrl(row: TorchvisionWeights): string {
  return torchvisionBaseUrl() + row.file;
}

/**
 * finegrain's preprocessing for a row: torchvision's `ImageClassification(crop_size,
 * resize_size, mean, std)` with finegrain's bilinear resampler (the row's own interpolation is
 * reported separately).
 *
 * @example
 *   torchvisionPreprocess(torchvisionWeights('efficientnet_b3')).inputSize; // 300
 */
export function torchvisionPreprocess(row: TorchvisionWeights): PreprocessConfig {
  return {
    inputSize: row.crop,
    interpolation: 'bilinear',
    cropFraction: row.crop / row.resize,
    mean: row.mean ? [...row.mean] : [...IMAGENET_MEAN],
    std: row.std ? [...row.std] : [...IMAGENET_STD],
  };
}

/**
 * Every name that resolves: `torchvision:<arch>` (its DEFAULT) and
 * `torchvision:<arch>.<WEIGHTS>` for each member, sorted. (`.DEFAULT` is accepted as well but
 * not listed: it is the bare name.)
 *
 * @example
 *   listPretrainedNames().filter((n) => n.startsWith('torchvision:resnet50')); // ['torchvision:resnet50', 'torchvision:resnet50.IMAGENET1K_V1', 'torchvision:resnet50.IMAGENET1K_V2']
 */
export function listPretrainedNames(): string[] {
  const names = new Set<string>();
  for (const r of TORCHVISION_WEIGHTS) {
    names.add(`torchvision:${r.arch}`);
    names.add(`torchvision:${r.arch}.${r.weights}`);
  }
  return [...names].sort();
}
