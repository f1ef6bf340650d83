/**
 * Deterministic test images as uint8 batches [N, 3, H, W]: smooth colour gradients with
 * blobs and noise (so that histograms, edges and hues are all non-trivial), plus special
 * cases (a flat channel, a low-contrast image) that hit the ops' corner branches.
 *
 * @example
 *   const x = testBatch(8, 37, 53);   // 8 images, 37 x 53, odd sizes on purpose
 */
import { fromTypedArray, type Tensor } from '../../../src/index.js';
import { Rng, type RgbImage } from '../../../src/data/index.js';

/** One HWC RGB image from a seed. */
export function testImage(seed: number, h: number, w: number): RgbImage {
  const rng = new Rng('test-image', seed);
  const data = new Uint8Array(h * w * 3);
  const kind = seed % 7;
  const base = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  const grad = [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-3, 3)];
  const blobs = Array.from({ length: 3 }, () => ({
    x: rng.uniform(0, w),
    y: rng.uniform(0, h),
    r: rng.uniform(3, 12),
    c: rng.int(3),
    v: rng.uniform(-120, 120),
  }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v = base[c]! + grad[c]! * (c === 1 ? y : x) + (rng.next() - 0.5) * 30;
        for (const b of blobs) if (b.c === c && (x - b.x) ** 2 + (y - b.y) ** 2 < b.r * b.r) v += b.v;
        if (kind === 5 && c === 2) v = 77; // a flat channel
        if (kind === 6) v = 120 + (v - 128) * 0.02; // very low contrast
        data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width: w, height: h };
}

/** HWC images -> uint8 tensor [N, 3, H, W]. */
export function toBatch(images: RgbImage[]): Tensor {
  const { width: w, height: h } = images[0]!;
  const planar = new Uint8Array(images.length * 3 * h * w);
  images.forEach((im, n) => {
    for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) planar[(n * 3 + c) * h * w + i] = im.data[i * 3 + c]!;
  });
  return fromTypedArray(planar, [images.length, 3, h, w]);
}

export function testBatch(n: number, h: number, w: number, seed0 = 0): Tensor {
  return toBatch(Array.from({ length: n }, (_, i) => testImage(seed0 + i, h, w)));
}

/** Fraction of elements that differ, and the largest difference. */
export function mismatch(a: Tensor, b: Tensor): { frac: number; max: number; count: number } {
  const x = a.toTypedArray() as Uint8Array;
  const y = b.toTypedArray() as Uint8Array;
  if (x.length !== y.length) throw new Error(`mismatch: sizes ${x.length} vs ${y.length}`);
  let count = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (d) {
      count++;
      if (d > max) max = d;
    }
  }
  return { frac: count / x.length, max, count };
}
