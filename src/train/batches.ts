/**
 * The loaders a training run uses, built from its configuration:
 *
 * - training: RandomResizedCrop — or, once the attention-region (or SCDA) crop has chosen a
 *   box for an image, that box — then a horizontal flip, the augmentation policy
 *   (AutoAugment by default, as in the seed's recipe), normalisation, RandomErasing, and
 *   Mixup/CutMix soft targets when asked; seeded from (seed, epoch, position);
 * evaluation goes through `evalLoader` (src/data/loader/eval-loader.ts), built from the
 * checkpoint's preprocessing config.
 */
import { autoAugment, randAugment, trivialAugmentWide } from '../data/augment/auto-augment.js';
import { mixupCutmix } from '../data/augment/mix.js';
import { randomErasing } from '../data/augment/random-erasing.js';
import { corruptionAugment } from '../data/corruptions/augment.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { DataLoader } from '../data/loader/loader.js';
import { classBalancedSampler, randomSampler } from '../data/loader/sampler.js';
import { shardedSampler } from '../data/loader/sharded-sampler.js';
import { decodeSide } from '../data/loader/eval-loader.js';
import { compose } from '../data/transforms/compose.js';
import { cropToBox, randomHorizontalFlip, randomResizedCrop } from '../data/transforms/geometry.js';
import { normalize } from '../data/transforms/normalize.js';
import type { Transform, ViewTransform } from '../data/transforms/transform.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { TrainConfig } from './config.js';

export type { Batch } from '../data/loader/batch.js';

/** A sample's chosen box when it has one, else a RandomResizedCrop. */
function boxOrRandomCrop(size: number, minScale: number): ViewTransform {
  const random = randomResizedCrop(size, { scale: [minScale, 1] });
  const box = cropToBox(size);
  return { stage: 'view', name: `boxOrRandomCrop(${size})`, plan: (v, ctx) => (ctx.sample?.box ? box.plan(v, ctx) : random.plan(v, ctx)) };
}

/** `preprocess` gives the normalisation (the run's mean and std); `imageSize` the epoch's crop side. */
/** `shard`: data-parallel runs read rank `rank`'s share of each epoch's order. */
export function trainLoader(
  ds: ImageDataset,
  config: TrainConfig,
  imageSize: number,
  preprocess: Pick<PreprocessConfig, 'mean' | 'std'>,
  shard: { rank: number; worldSize: number } | null = null,
): DataLoader {
  const transforms: Transform[] = [boxOrRandomCrop(imageSize, config.cropScale), randomHorizontalFlip()];
  if (config.augment === 'autoaugment') transforms.push(autoAugment(config.autoAugmentPolicy));
  else if (config.augment === 'randaugment') transforms.push(randAugment());
  else if (config.augment === 'trivialaugment') transforms.push(trivialAugmentWide());
  if (config.corruptionAugment > 0) transforms.push(corruptionAugment(config.corruptionAugment)); // robustness option
  transforms.push(normalize(preprocess.mean, preprocess.std));
  if (config.randomErasing > 0) transforms.push(randomErasing({ p: config.randomErasing }));
  const mixing = config.mixup > 0 || config.cutmix > 0;
  return new DataLoader(ds, {
    batchSize: config.batchSize,
    transform: compose(transforms),
    shuffle: true,
    sampler: shardedSampler(
      config.balance === 'sampler'
        ? classBalancedSampler(
            ds.samples.map((s) => s.label),
            { seed: config.seed },
          )
        : randomSampler(ds.samples.length, config.seed),
      shard,
    ),
    seed: config.seed,
    dropLast: ds.samples.length > config.batchSize,
    prefetch: Math.max(2, Math.ceil(config.workers / 2)),
    decode: { maxShortSide: decodeSide(imageSize) },
    mix: mixing ? mixupCutmix({ mixupAlpha: config.mixup, cutmixAlpha: config.cutmix, labelSmoothing: config.labelSmoothing }) : undefined,
    numClasses: ds.classes.length,
  });
}
