/**
 * Blur corruptions, ImageNet-C's parameters (imagenet_c/corruptions.py):
 * - gaussian_blur: σ = 1 2 3 4 6, as skimage.filters.gaussian (scipy's gaussian_filter:
 *   truncated at 4σ, edge pixels repeated);
 * - defocus_blur: (radius, alias blur) = (3, .1) (4, .5) (6, .5) (8, .5) (10, .5): a disk of
 *   that radius on a grid of side 17 (side 2r + 1 for r > 8), normalised, smoothed by a 3×3
 *   (5×5 for r > 8) Gaussian of σ = alias blur as cv2.GaussianBlur does (borders reflected,
 *   101), then applied as cv2.filter2D does (borders reflected, 101);
 * - motion_blur: (radius, σ) = (10, 3) (15, 5) (15, 8) (15, 12) (20, 15), angle uniform in
 *   [−45°, 45°] (seeded). ImageNet-C calls ImageMagick's MotionBlurImage; this follows its
 *   kernel: 2·radius + 1 one-sided Gaussian weights exp(−i²/2σ²), i = 0 … 2r, at offsets
 *   round(i·cos θ, i·sin θ) along the direction, normalised; edge pixels repeated.
 *
 * @example
 *   const y = gaussianBlur(f, w, h, 3); // σ = 3
 */
import type { Rng } from '../../data/random.js';
import { borderIndex, filter2d, gaussianKernel1d, separableFilter } from './image-float.js';

export const GAUSSIAN_BLUR = [1, 2, 3, 4, 6];
export const DEFOCUS_BLUR: [number, number][] = [
  [3, 0.1],
  [4, 0.5],
  [6, 0.5],
  [8, 0.5],
  [10, 0.5],
];
export const MOTION_BLUR: [number, number][] = [
  [10, 3],
  [15, 5],
  [15, 8],
  [15, 12],
  [20, 15],
];

export function gaussianBlur(f: Float32Array, width: number, height: number, severity: number): Float32Array {
  const sigma = GAUSSIAN_BLUR[severity - 1]!;
  return separableFilter(f, width, height, gaussianKernel1d(sigma, Math.floor(4 * sigma + 0.5)), 'replicate');
}

/** cv2.getGaussianKernel for ksize 3 or 5 with an explicit σ. */
function cvGaussian(ksize: number, sigma: number): Float64Array {
  return gaussianKernel1d(sigma, (ksize - 1) / 2);
}

/** ImageNet-C's `disk(radius, alias_blur)` kernel (side × side, row-major). */
export function defocusKernel(radius: number, aliasBlur: number): { kernel: Float64Array; side: number } {
  const half = radius <= 8 ? 8 : radius;
  const side = 2 * half + 1;
  const disk = new Float64Array(side * side);
  let sum = 0;
  for (let y = -half; y <= half; y++) for (let x = -half; x <= half; x++) if (x * x + y * y <= radius * radius) sum += disk[(y + half) * side + x + half] = 1;
  for (let i = 0; i < disk.length; i++) disk[i]! /= sum;
  const g = cvGaussian(radius <= 8 ? 3 : 5, aliasBlur);
  const r = (g.length - 1) / 2;
  // cv2.GaussianBlur over the kernel image itself, borders reflect101.
  const tmp = new Float64Array(disk.length);
  const out = new Float64Array(disk.length);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += g[k + r]! * disk[y * side + borderIndex(x + k, side, 'reflect101')]!;
      tmp[y * side + x] = s;
    }
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += g[k + r]! * tmp[borderIndex(y + k, side, 'reflect101') * side + x]!;
      out[y * side + x] = s;
    }
  return { kernel: out, side };
}

export function defocusBlur(f: Float32Array, width: number, height: number, severity: number): Float32Array {
  const [radius, alias] = DEFOCUS_BLUR[severity - 1]!;
  const { kernel, side } = defocusKernel(radius, alias);
  return filter2d(f, width, height, kernel, side, 'reflect101');
}

/** The motion kernel's taps: offsets (dx, dy) and weights. */
export function motionTaps(radius: number, sigma: number, angleDeg: number): { dx: number; dy: number; w: number }[] {
  const width = 2 * Math.ceil(radius) + 1;
  const theta = (angleDeg * Math.PI) / 180;
  const taps: { dx: number; dy: number; w: number }[] = [];
  let sum = 0;
  for (let i = 0; i < width; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    taps.push({ dx: Math.round(i * Math.cos(theta)), dy: Math.round(i * Math.sin(theta)), w });
    sum += w;
  }
  for (const t of taps) t.w /= sum;
  return taps;
}

export function motionBlur(f: Float32Array, width: number, height: number, severity: number, rng: Rng): Float32Array {
  const [radius, sigma] = MOTION_BLUR[severity - 1]!;
  const taps = motionTaps(radius, sigma, rng.uniform(-45, 45));
  const out = new Float32Array(f.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (const t of taps) {
        const p = (borderIndex(y + t.dy, height, 'replicate') * width + borderIndex(x + t.dx, width, 'replicate')) * 3;
        s0 += t.w * f[p]!;
        s1 += t.w * f[p + 1]!;
        s2 += t.w * f[p + 2]!;
      }
      const o = (y * width + x) * 3;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
    }
  return out;
}
