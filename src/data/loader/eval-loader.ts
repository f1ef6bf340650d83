/**
 * The evaluation pipeline of a model, built from its preprocessing config alone: resize (the
 * whole photo to the input size when `cropFraction` is 1; else the short side to
 * inputSize / cropFraction, then the centre crop), then normalisation by the config's mean
 * and std. Evaluation, prediction, attention crops, calibration and serving all read
 * images through this one function, so a checkpoint is always fed as it was trained.
 *
 * @example
 *   const loader = evalLoader(testSet, { preprocess: loaded.preprocess, batchSize: 32 });
 *   for await (const b of loader.epoch(0)) { model.forward(b.images); b.dispose(); }
 */
import type { PreprocessConfig } from '../../models/preprocess-config.js';
import { decodeSide, resizeSide } from '../../models/preprocess-config.js';
import type { ImageDataset } from '../datasets/dataset.js';
import { compose } from '../transforms/compose.js';
import { centerCrop, resize } from '../transforms/geometry.js';
import { normalize } from '../transforms/normalize.js';
import type { Transform } from '../transforms/transform.js';
import { DataLoader } from './loader.js';

/** Options of `evalLoader`. */
export interface EvalLoaderOptions {
  /**
   * The model's preprocessing (input size, crop fraction, mean and std), as its checkpoint or
   * pretrained entry records it.
   */
  preprocess: PreprocessConfig;
  /** Images per batch. */
  batchSize: number;
  /** Decoding parallelism hint (prefetched batches = workers / 2, at least 2). */
  workers?: number;
}

// Where the decode size is defined (the serving paths without libtorch need it too).
export { decodeSide };

/** The deterministic transforms of a preprocessing config (no augmentation). */
export function evalTransforms(p: PreprocessConfig): Transform[] {
  const geometry: Transform[] = p.cropFraction >= 1 ? [resize([p.inputSize, p.inputSize])] : [resize(resizeSide(p)), centerCrop([p.inputSize, p.inputSize])];
  return [...geometry, normalize(p.mean, p.std)];
}

/**
 * A loader that feeds `ds` to a model exactly as its preprocessing config says (resize, centre
 * crop, normalisation; no augmentation), in dataset order.
 *
 * @example
 *   const loader = evalLoader(testSet, { preprocess: loaded.preprocess, batchSize: 32 });
 */
export function evalLoader(ds: ImageDataset, options: EvalLoaderOptions): DataLoader {
  const p = options.preprocess;
  return new DataLoader(ds, {
    batchSize: options.batchSize,
    transform: compose(evalTransforms(p)),
    shuffle: false,
    prefetch: Math.max(2, Math.ceil((options.workers ?? 4) / 2)),
    decode: { maxShortSide: decodeSide(Math.max(p.inputSize, resizeSide(p))) },
  });
}
