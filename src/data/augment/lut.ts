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
import { applyLut, applyLutInto } from './kernels.js';

export { checkImageBatch } from './kernels.js';

/**
 * Builds and applies tables from a per-plane function: `tableFor(n, c)` returns the
 * 256-entry table for image n, channel c (a Uint8Array, or a function called for each v).
 *
 * @example
 *   const y = mapPixels(batch, () => (v) => 255 - v);
 */
export function mapPixels(x: Tensor, tableFor: (n: number, c: number) => Uint8Array | ((v: number) => number)): Tensor {
  return applyLut(x, buildLut(x, [...Array(x.size(0)).keys()], tableFor));
}

/**
 * As mapPixels for the listed images only, written into `out` (contiguous, x's shape).
 *
 * @example
 *   mapPixelsInto(batch, out, [2], () => (v) => 255 - v); // out[2] = inverted batch[2]
 */
export function mapPixelsInto(
  x: Tensor,
  out: Tensor,
  images: readonly number[],
  tableFor: (n: number, c: number) => Uint8Array | ((v: number) => number),
): void {
  applyLutInto(x, out, buildLut(x, images, tableFor), images);
}

function buildLut(x: Tensor, images: readonly number[], tableFor: (n: number, c: number) => Uint8Array | ((v: number) => number)): Uint8Array {
  const [n, ch] = x.shape as [number, number];
  const lut = new Uint8Array(n * ch * 256);
  for (const i of images) {
    for (let c = 0; c < ch; c++) {
      const t = tableFor(i, c);
      const at = (i * ch + c) * 256;
      if (t instanceof Uint8Array) lut.set(t, at);
      else for (let v = 0; v < 256; v++) lut[at + v] = t(v);
    }
  }
  return lut;
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
