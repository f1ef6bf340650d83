/**
 * Per-plane lookup tables. Most AutoAugment colour operations map each pixel value through
 * a function that depends only on the image (a factor, a threshold, the channel's
 * min/max or histogram), so each is a 256-entry table per (image, channel), built here
 * with exactly torchvision's float32 arithmetic and applied in one native pass.
 *
 * @example
 *   const inv = mapPixels(batch, () => (v) => 255 - v);   // Invert, as a table
 */
import type { Tensor } from '../../tensor/index.js';
import { applyLut } from './kernels.js';

export { checkImageBatch } from './kernels.js';

/**
 * Builds and applies tables from a per-plane function: `tableFor(n, c)` returns the value
 * map for image n, channel c (called once per plane, then for v = 0..255).
 *
 * @example
 *   const y = mapPixels(batch, () => (v) => 255 - v);
 */
export function mapPixels(x: Tensor, tableFor: (n: number, c: number) => (v: number) => number): Tensor {
  const [n, ch] = x.shape as [number, number];
  const lut = new Uint8Array(n * ch * 256);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) {
      const f = tableFor(i, c);
      const at = (i * ch + c) * 256;
      for (let v = 0; v < 256; v++) lut[at + v] = f(v);
    }
  }
  return applyLut(x, lut);
}

/**
 * float32 -> uint8 as ATen's `.to(torch.uint8)` after `clamp(0, 255)`: truncation.
 *
 * @example
 *   saturateTrunc(255.9); // 255
 */
export function saturateTrunc(v: number): number {
  return v <= 0 || Number.isNaN(v) ? 0 : v >= 255 ? 255 : Math.trunc(v);
}
