/**
 * The checkpoint's own preprocessing (`PreprocessConfig`: input size, interpolation, crop
 * fraction, mean, std — see src/models/preprocess-config.ts) applied to photos that arrive one
 * at a time: the same transforms (`evalTransforms`) and the same decode size (`decodeSide`) as
 * the evaluation loader that `finegrain eval` and `predict` read datasets with, so a photo is
 * prepared identically whichever way it comes in.
 *
 * @example
 *   const x = preprocessBatch([await decodeImage('car.jpg', decodeOptionsFor(p))], p); // [1, 3, 224, 224]
 */
import type { RgbImage } from '../data/image.js';
import { evalTransforms } from '../data/loader/eval-loader.js';
import { Rng } from '../data/random.js';
import { compose, type Pipeline } from '../data/transforms/compose.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { Tensor } from '../tensor/tensor.js';

/** Two configs that prepare images identically (so one batch serves both models). */
export function samePreprocess(a: PreprocessConfig, b: PreprocessConfig): boolean {
  return a.inputSize === b.inputSize && a.cropFraction === b.cropFraction && a.mean.join() === b.mean.join() && a.std.join() === b.std.join();
}

// Defined beside the decoding it configures (input.ts has no libtorch dependency).
export { decodeOptionsFor } from './input.js';

const pipelines = new WeakMap<PreprocessConfig, Pipeline>();

/** Decoded images as the model's float32 input [N, 3, S, S] (the caller owns it). */
export function preprocessBatch(images: readonly RgbImage[], p: PreprocessConfig): Tensor {
  let pipeline = pipelines.get(p);
  if (!pipeline) pipelines.set(p, (pipeline = compose(evalTransforms(p))));
  // Evaluation transforms draw nothing random; the contexts only satisfy the protocol.
  return pipeline.run(
    images,
    images.map((_, i) => ({ rng: Rng.derive(0, 'inference', i) })),
  );
}
