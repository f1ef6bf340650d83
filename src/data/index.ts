/**
 * The data layer (`import { data } from 'finegrain'`): datasets (image folders, CSV lists,
 * CUB-200), decoding, the transform pipeline, augmentation (RandAugment, AutoAugment, mixup,
 * CutMix, random erasing), the loader and its samplers, and synthetic datasets for tests.
 *
 * @example
 *   import { data } from 'finegrain';
 *   const ds = data.imageFolder('images/train');
 *   const { train, val } = data.stratifiedSplit(ds, { valFraction: 0.1, seed: 0 });
 *
 * @module
 */
export * from './random.js';
export * from './image.js';
export * from './skip-report.js';
export * from './decode/decode-image.js';
export * from './decode/sharp.js';
export * from './datasets/dataset.js';
export * from './datasets/list-images.js';
export * from './datasets/parse-csv.js';
export * from './datasets/image-folder.js';
export * from './datasets/csv.js';
export * from './datasets/cub.js';
export * from './datasets/unlabeled.js';
export * from './datasets/split.js';
export * from './datasets/compose.js';
export * from './transforms/view.js';
export * from './transforms/transform.js';
export * from './transforms/resample.js';
export * from './transforms/geometry.js';
export * from './transforms/normalize.js';
export * from './transforms/compose.js';
export * from './augment/kernels.js';
export * from './augment/lut.js';
export * from './augment/tables.js';
export * from './augment/color-ops.js';
export * from './augment/hue.js';
export * from './augment/geometric-ops.js';
export * from './augment/ops.js';
export * from './augment/magnitudes.js';
export * from './augment/policies.js';
export * from './augment/auto-augment.js';
export * from './augment/color-jitter.js';
export * from './augment/random-erasing.js';
export * from './augment/mix.js';
export * from './loader/sampler.js';
export * from './loader/batch.js';
export * from './loader/progress.js';
export * from './loader/loader.js';
export * from './synth/traits.js';
export * from './synth/render.js';
export * from './synth/generate.js';
export { synthCommand } from './synth/cli.js';
export * from './loader/eval-loader.js';
