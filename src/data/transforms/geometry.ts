/**
 * Geometric transforms as view plans (see view.ts): resize, center crop, random crop,
 * RandomResizedCrop, crop to a per-image box, flips. Random parameters follow
 * torchvision's `get_params` (RandomResizedCrop's ten tries and centre fallback, integer
 * rounding, crop offsets), drawn from the image's own Rng.
 *
 * Where torchvision pads (a center or random crop larger than the image), a view clamps
 * to the edge pixels instead: fine-grained detail near the border is better repeated than
 * blacked out.
 *
 * @example
 *   compose([resize(256), centerCrop(224), normalize()]);                  // evaluation
 *   compose([randomResizedCrop(224), randomHorizontalFlip(), normalize()]); // training
 */
import type { Box } from '../datasets/dataset.js';
import type { SampleContext, ViewTransform } from './transform.js';
import { cropView, flipView, resizeView, windowView, type View } from './view.js';

/** A target size in pixels: [height, width], or one number (for `resize`, the shorter side, keeping the aspect ratio; for crops, a square). */
export type Size = number | readonly [number, number];

/**
 * Python's round(): half to even (torchvision rounds crop sizes and offsets with it).
 *
 * @example
 *   roundHalfEven(2.5); // 2, as Python's round()
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function hw(size: Size): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/**
 * Resize: a number matches the shorter side, keeping the aspect ratio (torchvision
 * truncates the longer side: int(size * long / short)); [h, w] sets both.
 *
 * @example
 *   compose([resize(256), centerCrop(224)])
 */
export function resize(size: Size): ViewTransform {
  return {
    stage: 'view',
    name: `resize(${size})`,
    plan(v) {
      if (typeof size !== 'number') return resizeView(v, size[0], size[1]);
      const { outHeight: h, outWidth: w } = v;
      if (h <= w) return resizeView(v, size, Math.max(1, Math.trunc((size * w) / h)));
      return resizeView(v, Math.max(1, Math.trunc((size * h) / w)), size);
    },
  };
}

/**
 * The central [h, w] window (offsets rounded as torchvision: round((H - h) / 2)).
 *
 * @example
 *   compose([resize(256), centerCrop(224)])
 */
export function centerCrop(size: Size): ViewTransform {
  const [ch, cw] = hw(size);
  return {
    stage: 'view',
    name: `centerCrop(${size})`,
    plan(v) {
      const top = roundHalfEven((v.outHeight - ch) / 2);
      const left = roundHalfEven((v.outWidth - cw) / 2);
      return cropView(v, top, left, ch, cw);
    },
  };
}

/**
 * A uniformly placed [h, w] window (the whole output if smaller).
 *
 * @example
 *   compose([resize(256), randomCrop(224)])
 */
export function randomCrop(size: Size): ViewTransform {
  const [ch, cw] = hw(size);
  return {
    stage: 'view',
    name: `randomCrop(${size})`,
    plan(v, { rng }) {
      const top = v.outHeight > ch ? rng.int(v.outHeight - ch + 1) : roundHalfEven((v.outHeight - ch) / 2);
      const left = v.outWidth > cw ? rng.int(v.outWidth - cw + 1) : roundHalfEven((v.outWidth - cw) / 2);
      return cropView(v, top, left, ch, cw);
    },
  };
}

/** Options of `randomResizedCrop`, with torchvision's defaults. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a share of the image (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio w/h, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
}

/**
 * torchvision's RandomResizedCrop.get_params: (top, left, height, width) on an H x W image.
 *
 * @example
 *   const [top, left, h, w] = randomResizedCropParams(375, 500, { rng });
 */
export function randomResizedCropParams(
  height: number,
  width: number,
  ctx: SampleContext,
  options: RandomResizedCropOptions = {},
): [number, number, number, number] {
  const [s0, s1] = options.scale ?? [0.08, 1];
  const [r0, r1] = options.ratio ?? [3 / 4, 4 / 3];
  const { rng } = ctx;
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(s0, s1);
    const aspect = Math.exp(rng.uniform(Math.log(r0), Math.log(r1)));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) return [rng.int(height - h + 1), rng.int(width - w + 1), h, w];
  }
  // Fallback: the largest central crop with a ratio inside the range.
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(r0, r1)) h = roundHalfEven(w / Math.min(r0, r1));
  else if (inRatio > Math.max(r0, r1)) w = roundHalfEven(h * Math.max(r0, r1));
  return [Math.trunc((height - h) / 2), Math.trunc((width - w) / 2), h, w];
}

/**
 * A random area/aspect crop scaled to `size`: the standard ImageNet training crop.
 *
 * @example
 *   compose([randomResizedCrop(224, { scale: [0.25, 1] })])
 */
export function randomResizedCrop(size: Size, options: RandomResizedCropOptions = {}): ViewTransform {
  const [oh, ow] = hw(size);
  return {
    stage: 'view',
    name: `randomResizedCrop(${size})`,
    plan(v, ctx) {
      const [top, left, h, w] = randomResizedCropParams(v.outHeight, v.outWidth, ctx, options);
      return resizeView(cropView(v, top, left, h, w), oh, ow);
    },
  };
}

/** Options of `cropToBox`. */
export interface CropToBoxOptions {
  /** The box of an image (fractions of its current view); default: the sample's `box`. */
  boxOf?: (ctx: SampleContext) => Box | undefined;
  /** Without a box: 'resize' the whole view (default) or take the 'center' square-ish crop. */
  fallback?: 'resize' | 'center';
}

/**
 * Crops each image to its own box and scales it to `size`: the attention-region crop of
 * the training recipe (a box per image per epoch, chosen from the model's attention map).
 *
 * @example
 *   compose([cropToBox(448)]) // uses each sample's `box`
 */
export function cropToBox(size: Size, options: CropToBoxOptions = {}): ViewTransform {
  const [oh, ow] = hw(size);
  return {
    stage: 'view',
    name: `cropToBox(${size})`,
    plan(v, ctx) {
      const box = options.boxOf ? options.boxOf(ctx) : ctx.sample?.box;
      if (!box) {
        if (options.fallback === 'center') {
          const side = Math.min(v.outHeight, v.outWidth);
          return resizeView(cropView(v, roundHalfEven((v.outHeight - side) / 2), roundHalfEven((v.outWidth - side) / 2), side, side), oh, ow);
        }
        return resizeView(v, oh, ow);
      }
      const y = Math.max(0, Math.min(1, box.y));
      const x = Math.max(0, Math.min(1, box.x));
      const h = Math.max(1 / v.outHeight, Math.min(1 - y, box.height));
      const w = Math.max(1 / v.outWidth, Math.min(1 - x, box.width));
      return windowView(v, y * v.outHeight, x * v.outWidth, h * v.outHeight, w * v.outWidth, oh, ow);
    },
  };
}

/**
 * Mirrors left-right with probability p (default 0.5).
 *
 * @example
 *   compose([randomResizedCrop(224), randomHorizontalFlip()])
 */
export function randomHorizontalFlip(p = 0.5): ViewTransform {
  return { stage: 'view', name: `randomHorizontalFlip(${p})`, plan: (v, { rng }) => (rng.next() < p ? flipView(v) : v) };
}

/**
 * Mirrors top-bottom with probability p (default 0.5).
 *
 * @example
 *   compose([randomResizedCrop(224), randomVerticalFlip(0.5)])
 */
export function randomVerticalFlip(p = 0.5): ViewTransform {
  return { stage: 'view', name: `randomVerticalFlip(${p})`, plan: (v, { rng }) => (rng.next() < p ? flipView(v, true) : v) };
}

/** Re-exported for custom view transforms. */
export type { View };
