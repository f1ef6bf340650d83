/**
 * The loaders a training run uses, built from its configuration:
 *
 * - training: RandomResizedCrop — or, once the attention-region (or SCDA) crop has chosen a
 *   box for an image, that box — then a horizontal flip, the augmentation policy
 *   (AutoAugment by default, as in the seed's recipe), normalisation, RandomErasing, and
 *   Mixup/CutMix soft targets when asked; seeded from (seed, epoch, position);
 * - evaluation: the whole image resized to the model's input size (fine-grained details
 *   at the border are not cropped away), normalised.
 */
import { autoAugment, randAugment, trivialAugmentWide } from '../data/augment/auto-augment.js';
import { mixupCutmix } from '../data/augment/mix.js';
import { randomErasing } from '../data/augment/random-erasing.js';
import { corruptionAugment } from '../open-world/corruptions/augment.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { DataLoader } from '../data/loader/loader.js';
import { classBalancedSampler } from '../data/loader/sampler.js';
import { compose } from '../data/transforms/compose.js';
import { cropToBox, randomHorizontalFlip, randomResizedCrop, resize } from '../data/transforms/geometry.js';
import { normalize } from '../data/transforms/normalize.js';
import type { Transform, ViewTransform } from '../data/transforms/transform.js';
import type { TrainConfig } from './config.js';

export type { Batch } from '../data/loader/batch.js';

/** The model's normalisation (ImageNet statistics, as every pretrained backbone here uses). */
export const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const STD: [number, number, number] = [0.229, 0.224, 0.225];

/** Decode a little larger than the crop so resampling has detail to work with, no more. */
function decodeSide(imageSize: number): number {
  return Math.ceil(imageSize * 1.15);
}

/** A sample's chosen box when it has one, else a RandomResizedCrop. */
function boxOrRandomCrop(size: number): ViewTransform {
  const random = randomResizedCrop(size);
  const box = cropToBox(size);
  return { stage: 'view', name: `boxOrRandomCrop(${size})`, plan: (v, ctx) => (ctx.sample?.box ? box.plan(v, ctx) : random.plan(v, ctx)) };
}

export function trainLoader(ds: ImageDataset, config: TrainConfig, imageSize: number): DataLoader {
  const transforms: Transform[] = [boxOrRandomCrop(imageSize), randomHorizontalFlip()];
  if (config.augment === 'autoaugment') transforms.push(autoAugment(config.autoAugmentPolicy));
  else if (config.augment === 'randaugment') transforms.push(randAugment());
  else if (config.augment === 'trivialaugment') transforms.push(trivialAugmentWide());
  if (config.corruptionAugment > 0) transforms.push(corruptionAugment(config.corruptionAugment)); // open-world robustness option
  transforms.push(normalize(MEAN, STD));
  if (config.randomErasing > 0) transforms.push(randomErasing({ p: config.randomErasing }));
  const mixing = config.mixup > 0 || config.cutmix > 0;
  return new DataLoader(ds, {
    batchSize: config.batchSize,
    transform: compose(transforms),
    shuffle: true,
    sampler:
      config.balance === 'sampler'
        ? classBalancedSampler(
            ds.samples.map((s) => s.label),
            { seed: config.seed },
          )
        : undefined,
    seed: config.seed,
    dropLast: ds.samples.length > config.batchSize,
    prefetch: Math.max(2, Math.ceil(config.workers / 2)),
    decode: { maxShortSide: decodeSide(imageSize) },
    mix: mixing ? mixupCutmix({ mixupAlpha: config.mixup, cutmixAlpha: config.cutmix, labelSmoothing: config.labelSmoothing }) : undefined,
    numClasses: ds.classes.length,
  });
}

export function evalLoader(ds: ImageDataset, options: { imageSize: number; batchSize: number; workers?: number }): DataLoader {
  return new DataLoader(ds, {
    batchSize: options.batchSize,
    transform: compose([resize([options.imageSize, options.imageSize]), normalize(MEAN, STD)]),
    shuffle: false,
    prefetch: Math.max(2, Math.ceil((options.workers ?? 4) / 2)),
    decode: { maxShortSide: decodeSide(options.imageSize) },
  });
}
