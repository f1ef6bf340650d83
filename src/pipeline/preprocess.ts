/**
 * A checkpoint's own preprocessing — input size, interpolation, crop fraction, mean and std —
 * and the one way every inference path (the `classifier()` front door, `finegrain eval` and
 * `predict`, the server) turns a decoded photo into the model's input with it. Eval, the API
 * and the server share these functions, so they cannot prepare an image differently.
 *
 * `cropFraction` 1 (what the recipe evaluates with) squashes the whole photo to the square
 * input, so fine-grained detail at the border is kept; below 1 the shorter side is resized
 * to inputSize / cropFraction and the centre cropped (torchvision's Resize + CenterCrop).
 *
 * @example
 *   const spec = preprocessOf(loadCheckpoint('best.safetensors').meta);
 *   const x = preprocessBatch([await decodeImage('car.jpg', decodeOptionsFor(spec))], spec); // [1, 3, 224, 224]
 */
import type { DecodeOptions } from '../data/decode/decode-image.js';
import type { RgbImage } from '../data/image.js';
import { Rng } from '../data/random.js';
import { compose, type Pipeline } from '../data/transforms/compose.js';
import { centerCrop, resize } from '../data/transforms/geometry.js';
import { IMAGENET_MEAN, IMAGENET_STD, normalize } from '../data/transforms/normalize.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Preprocess {
  /** Side of the square model input, pixels. */
  inputSize: number;
  /** Resampling of the resize (the batch resampler is bilinear). */
  interpolation: 'bilinear';
  /** 1: the whole image resized to the input; < 1: resize then centre crop this share. */
  cropFraction: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** What a checkpoint's meta says about its preprocessing (the fields read here, nothing else). */
export interface PreprocessMeta {
  imageSize: number;
  mean?: readonly number[];
  std?: readonly number[];
  preprocess?: Partial<Preprocess>;
}

/**
 * The checkpoint's preprocessing: its `preprocess` block when it has one, else filled from
 * the legacy `imageSize` / `mean` / `std` fields (ImageNet statistics if even those are absent).
 * The ONE place a checkpoint's meta is read for preprocessing.
 *
 * @example
 *   preprocessOf({ imageSize: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }).cropFraction; // 1
 */
export function preprocessOf(meta: PreprocessMeta): Preprocess {
  const p = meta.preprocess ?? {};
  const triple = (v: readonly number[] | undefined, fallback: readonly number[]): [number, number, number] => {
    const a = v && v.length === 3 && v.every((x) => Number.isFinite(x)) ? v : fallback;
    return [a[0]!, a[1]!, a[2]!];
  };
  const spec: Preprocess = {
    inputSize: p.inputSize ?? meta.imageSize,
    interpolation: 'bilinear',
    cropFraction: p.cropFraction ?? 1,
    mean: triple(p.mean ?? meta.mean, IMAGENET_MEAN),
    std: triple(p.std ?? meta.std, IMAGENET_STD),
  };
  if (!(Number.isInteger(spec.inputSize) && spec.inputSize > 0))
    throw new RangeError(`preprocess: input size must be a positive integer, got ${spec.inputSize}`);
  if (!(spec.cropFraction > 0 && spec.cropFraction <= 1)) throw new RangeError(`preprocess: crop fraction must be in (0, 1], got ${spec.cropFraction}`);
  return spec;
}

/** Two specs that prepare images identically (so one batch serves both models). */
export function samePreprocess(a: Preprocess, b: Preprocess): boolean {
  return a.inputSize === b.inputSize && a.cropFraction === b.cropFraction && a.mean.join() === b.mean.join() && a.std.join() === b.std.join();
}

/**
 * How to decode for this model: shrink-on-load to a little more than the resized side
 * (resampling has detail to work with, no more), as training's evaluation loader does.
 */
export function decodeOptionsFor(spec: Preprocess, options: { maxPixels?: number } = {}): DecodeOptions {
  const resized = spec.inputSize / spec.cropFraction;
  return { maxShortSide: Math.ceil(resized * 1.15), maxPixels: options.maxPixels };
}

/** The view + normalisation pipeline of a spec. */
export function preprocessPipeline(spec: Preprocess): Pipeline {
  const s = spec.inputSize;
  const views = spec.cropFraction === 1 ? [resize([s, s])] : [resize(Math.round(s / spec.cropFraction)), centerCrop(s)];
  return compose([...views, normalize(spec.mean, spec.std)]);
}

const pipelines = new WeakMap<Preprocess, Pipeline>();

/**
 * Decoded images as the model's float32 input [N, 3, S, S] (the caller owns it).
 *
 * @example
 *   const x = preprocessBatch(images, spec);
 */
export function preprocessBatch(images: readonly RgbImage[], spec: Preprocess): Tensor {
  let pipeline = pipelines.get(spec);
  if (!pipeline) pipelines.set(spec, (pipeline = preprocessPipeline(spec)));
  // Evaluation transforms draw nothing random; the contexts only satisfy the protocol.
  return pipeline.run(
    images,
    images.map((_, i) => ({ rng: Rng.derive(0, 'inference', i) })),
  );
}
