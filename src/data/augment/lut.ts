/**
 * Per-plane lookup tables and histograms on uint8 image batches [N, C, H, W]. Most
 * AutoAugment colour operations map each pixel value through a function that depends only
 * on the image (a factor, a threshold, the channel's min/max or histogram), so each is a
 * 256-entry table per (image, channel), built in JS with exactly torchvision's float32
 * arithmetic and applied by one native pass (`lookupU8`, native/src/image.cc).
 *
 * @example
 *   const inv = mapPixels(batch, () => (v) => 255 - v);   // Invert, as a table
 *   const hist = histograms(batch);                          // Int32Array [N*C*256]
 */
import { native } from '../../native/binding.js';
import { empty, type Tensor } from '../../tensor/index.js';

/** A uint8 batch [N, C, H, W], contiguous (what every op here takes and returns). */
export function checkImageBatch(x: Tensor, what: string): void {
  if (x.dtype !== 'uint8' || x.ndim !== 4) throw new TypeError(`${what}: expected a uint8 image batch [N, C, H, W], got ${x.dtype} [${x.shape}]`);
}

/** One 256-bin histogram per (image, channel), N*C*256 counts. */
export function histograms(x: Tensor): Int32Array {
  checkImageBatch(x, 'histograms');
  const c = x.isContiguous() ? x : x.contiguous();
  try {
    return native.histogramU8(c.handle) as Int32Array;
  } finally {
    if (c !== x) c.dispose();
  }
}

/** out = lut[plane][x] for tables laid out as N*C*256 bytes; a new tensor. */
export function applyLut(x: Tensor, lut: Uint8Array): Tensor {
  checkImageBatch(x, 'applyLut');
  const c = x.isContiguous() ? x : x.contiguous();
  const out = empty(x.shape, { dtype: 'uint8' });
  try {
    native.lookupU8(c.handle, lut, out.handle);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (c !== x) c.dispose();
  }
  return out;
}

/**
 * Builds and applies tables from a per-plane function: `tableFor(n, c)` returns the value
 * map for image n, channel c (called once per plane, then for v = 0..255).
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

/** float32 -> uint8 as ATen's `.to(torch.uint8)` after `clamp(0, 255)`: truncation. */
export function saturateTrunc(v: number): number {
  return v <= 0 || Number.isNaN(v) ? 0 : v >= 255 ? 255 : Math.trunc(v);
}
