/**
 * Helpers the corruptions share: an RGB image as float32 HWC in [0, 1] and back (rounded,
 * clipped to 8 bits), and border-handling convolutions.
 *
 * @example
 *   const f = toFloat(img); // Float32Array, width * height * 3
 *   const back = toRgb(f, img.width, img.height);
 */
import type { RgbImage } from '../../data/image.js';

export function toFloat(img: RgbImage): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]! / 255;
  return out;
}

/** [0, 1] floats to 8 bits: clip, then round half up (x · 255 + 0.5, truncated). */
export function toRgb(f: Float32Array | Float64Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) data[i] = Math.floor(Math.min(1, Math.max(0, f[i]!)) * 255 + 0.5);
  return { data, width, height };
}

/** Index of a coordinate outside [0, n) under a border rule. */
export function borderIndex(i: number, n: number, mode: 'replicate' | 'reflect101'): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'replicate' || n === 1) return i < 0 ? 0 : n - 1;
  // reflect101: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

/** Separable correlation of each channel with a 1-D kernel (centred), along x then y. */
export function separableFilter(f: Float32Array, width: number, height: number, kernel: Float64Array, mode: 'replicate' | 'reflect101'): Float32Array {
  const r = (kernel.length - 1) / 2;
  const tmp = new Float32Array(f.length);
  const out = new Float32Array(f.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += kernel[k + r]! * f[(y * width + borderIndex(x + k, width, mode)) * 3 + c]!;
        tmp[(y * width + x) * 3 + c] = s;
      }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += kernel[k + r]! * tmp[(borderIndex(y + k, height, mode) * width + x) * 3 + c]!;
        out[(y * width + x) * 3 + c] = s;
      }
  return out;
}

/** 2-D correlation of each channel with a square kernel (odd side, centred). */
export function filter2d(f: Float32Array, width: number, height: number, kernel: Float64Array, side: number, mode: 'replicate' | 'reflect101'): Float32Array {
  const r = (side - 1) / 2;
  const out = new Float32Array(f.length);
  // Precompute border-mapped rows/columns once per offset.
  const xs = Array.from({ length: side }, (_, k) => Int32Array.from({ length: width }, (_, x) => borderIndex(x + k - r, width, mode)));
  const ys = Array.from({ length: side }, (_, k) => Int32Array.from({ length: height }, (_, y) => borderIndex(y + k - r, height, mode)));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let ky = 0; ky < side; ky++) {
        const row = ys[ky]![y]! * width;
        for (let kx = 0; kx < side; kx++) {
          const w = kernel[ky * side + kx]!;
          if (w === 0) continue;
          const p = (row + xs[kx]![x]!) * 3;
          s0 += w * f[p]!;
          s1 += w * f[p + 1]!;
          s2 += w * f[p + 2]!;
        }
      }
      const o = (y * width + x) * 3;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
    }
  return out;
}

/** Normalised Gaussian weights exp(-x²/2σ²) for x in [-r, r]. */
export function gaussianKernel1d(sigma: number, radius: number): Float64Array {
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}
