/**
 * What a model expects of its input, in the spirit of timm's `pretrained_cfg`: the side the
 * image is resampled to, the interpolation, the centre-crop fraction and the per-channel
 * mean and std. Every model variant has one (`defaultPreprocess(name)`), every checkpoint
 * stores the one it was trained with, and every loader (evaluation, prediction, serving,
 * export) builds its pipeline from it — so training and serving cannot silently differ.
 *
 * @example
 *   const p = defaultPreprocess('inception_v4');   // { inputSize: 299, mean: [0.5, 0.5, 0.5], … }
 *   const loader = evalLoader(dataset, { preprocess: p, batchSize: 32 });
 */

export type Rgb = [number, number, number];

/**
 * How a photo becomes a model's input: the checkpoint's own, stored in its metadata, so that
 * eval, predict, serve and the library run exactly what training validated on.
 */
export interface PreprocessConfig {
  /** Side of the square network input, in pixels. */
  inputSize: number;
  /** Resampling filter. finegrain's resampler is bilinear (torchvision's antialias=False). */
  interpolation: 'bilinear';
  /**
   * Fraction of the resized image the centre crop keeps: 1 resizes the whole photo to the
   * input (finegrain's default: fine-grained detail at the border is not cropped away);
   * 0.875 is torchvision's resize(256) + centerCrop(224).
   */
  cropFraction: number;
  /** Per-channel mean, in [0, 1] pixel units. */
  mean: Rgb;
  /** Per-channel standard deviation, in [0, 1] pixel units. */
  std: Rgb;
}

/** RGB mean and std of ImageNet's training images, which torchvision's weights expect. */
export const IMAGENET_MEAN: Readonly<Rgb> = [0.485, 0.456, 0.406];
/** RGB standard deviation of ImageNet's training images (see IMAGENET_MEAN). */
export const IMAGENET_STD: Readonly<Rgb> = [0.229, 0.224, 0.225];
/** The [-1, 1] scaling of Inception-style TensorFlow weights (timm's inception_v4, nasnetalarge). */
export const INCEPTION_MEAN: Readonly<Rgb> = [0.5, 0.5, 0.5];
/** The matching std of the [-1, 1] scaling (see INCEPTION_MEAN). */
export const INCEPTION_STD: Readonly<Rgb> = [0.5, 0.5, 0.5];

/** The preprocessing of a model of `inputSize` with ImageNet statistics, whole-image resize. */
export function imagenetPreprocess(inputSize: number, overrides: Partial<PreprocessConfig> = {}): PreprocessConfig {
  return { inputSize, interpolation: 'bilinear', cropFraction: 1, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], ...overrides };
}

/** The side to resize to before the centre crop, so the crop is `cropFraction` of it. */
export function resizeSide(p: PreprocessConfig): number {
  return Math.floor(p.inputSize / p.cropFraction);
}

/**
 * The short side a photo is decoded to for a model of `inputSize`: a little larger than the
 * network input so resampling has detail to work with, no more (shrink-on-load).
 *
 * @example
 *   decodeSide(224); // 258
 */
export function decodeSide(inputSize: number): number {
  return Math.ceil(inputSize * 1.15);
}
