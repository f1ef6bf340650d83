/**
 * Typed wrappers over the native uint8 image kernels (native/src/image.cc). Each takes a
 * uint8 batch [N, C, H, W] and returns a new tensor the caller owns; the kernels only run
 * loops, every parameter (tables, factors, sampling grids) is computed in TypeScript.
 * They exist because libtorch 1.13 has no uint8 kernels for these: the float round trip
 * through ATen cost 5-20x more (e.g. Color 1.3 ms and Sharpness 5 ms per 224-px image,
 * against ~0.1 ms here).
 *
 * @example
 *   const gray = grayscaleU8(batch);                   // [N, 1, H, W]
 *   const half = blendU8(batch, gray, [0.5, 0.5]);     // halfway to grayscale
 */
import { native } from '../../native/binding.js';
import { empty, type Tensor } from '../../tensor/index.js';

/**
 * A uint8 batch [N, C, H, W] (what every op here takes and returns).
 *
 * @example
 *   checkImageBatch(x, 'myOp'); // throws unless uint8 [N, C, H, W]
 */
export function checkImageBatch(x: Tensor, what: string): void {
  if (x.dtype !== 'uint8' || x.ndim !== 4) throw new TypeError(`${what}: expected a uint8 image batch [N, C, H, W], got ${x.dtype} [${x.shape}]`);
}

/** Runs `kernel(input, out)` on a contiguous copy if needed, into a new uint8 tensor of `shape`. */
function run(x: Tensor, shape: number[], kernel: (input: Tensor, out: Tensor) => void): Tensor {
  const c = x.isContiguous() ? x : x.contiguous();
  const out = empty(shape, { dtype: 'uint8' });
  try {
    kernel(c, out);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (c !== x) c.dispose();
  }
  return out;
}

/**
 * One 256-bin histogram per (image, channel): N*C*256 counts; with `images`, only those
 * images are counted (the rest stay zero).
 *
 * @example
 *   const h = histograms(batch); // h[(n * C + c) * 256 + v]
 *   const some = histograms(batch, [0, 5]); // images 0 and 5 only
 */
export function histograms(x: Tensor, images?: readonly number[]): Int32Array {
  checkImageBatch(x, 'histograms');
  const c = x.isContiguous() ? x : x.contiguous();
  try {
    return native.histogramU8(c.handle, images ? Int32Array.from(images) : null);
  } finally {
    if (c !== x) c.dispose();
  }
}

/**
 * out = lut[plane][x], tables laid out as N*C*256 bytes; a new tensor.
 *
 * @example
 *   const y = applyLut(batch, lut); // lut: Uint8Array(N * C * 256)
 */
export function applyLut(x: Tensor, lut: Uint8Array): Tensor {
  checkImageBatch(x, 'applyLut');
  return run(x, x.shape, (i, o) => native.lookupU8(i.handle, lut, o.handle, null));
}

/**
 * out[n] = lut[plane][x[n]] for the listed images only (out must be contiguous).
 *
 * @example
 *   applyLutInto(batch, out, lut, [0, 3]); // images 0 and 3 of out
 */
export function applyLutInto(x: Tensor, out: Tensor, lut: Uint8Array, images: readonly number[]): void {
  checkImageBatch(x, 'applyLutInto');
  withContiguous(x, (c) => native.lookupU8(c.handle, lut, out.handle, Int32Array.from(images)));
}

/** Calls f with x or a contiguous copy of it (freed afterwards). */
function withContiguous<T>(x: Tensor, f: (c: Tensor) => T): T {
  const c = x.isContiguous() ? x : x.contiguous();
  try {
    return f(c);
  } finally {
    if (c !== x) c.dispose();
  }
}

/**
 * torchvision's uint8 rgb_to_grayscale: [N, 3, H, W] -> [N, 1, H, W] (with `images`:
 * [K, 1, H, W] for those images).
 *
 * @example
 *   const gray = grayscaleU8(batch); // [N, 1, H, W]
 */
export function grayscaleU8(x: Tensor, images?: readonly number[]): Tensor {
  checkImageBatch(x, 'grayscaleU8');
  const [n, , h, w] = x.shape as [number, number, number, number];
  return run(x, [images?.length ?? n, 1, h, w], (i, o) => native.grayscaleU8(i.handle, o.handle, images ? Int32Array.from(images) : null));
}

/**
 * torchvision's `_blend` on uint8: trunc(clamp(f x + (1 - f) other)) in float32, one f per
 * image; `other` has x's channels or one (broadcast). A new tensor.
 *
 * @example
 *   const half = blendU8(batch, grayscaleU8(batch), [0.5, 0.5]);
 */
export function blendU8(x: Tensor, other: Tensor, factors: readonly number[]): Tensor {
  checkImageBatch(x, 'blendU8');
  const out = empty(x.shape, { dtype: 'uint8' });
  try {
    blendU8Into(x, other, factors, out, null);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/**
 * The blend for the listed images only: out[images[k]] = blend(x[images[k]], other[k]).
 *
 * @example
 *   blendU8Into(batch, grayscaleU8(batch, [2]), [0.3], out, [2]);
 */
export function blendU8Into(x: Tensor, other: Tensor, factors: readonly number[], out: Tensor, images: readonly number[] | null): void {
  checkImageBatch(x, 'blendU8');
  checkImageBatch(other, 'blendU8');
  // Python computes 1.0 - ratio in double and torch rounds it to float32; so do we.
  const ratio = Float32Array.from(factors);
  const rest = Float32Array.from(factors, (f) => 1 - f);
  withContiguous(x, (xc) =>
    withContiguous(other, (oc) => native.blendU8(xc.handle, oc.handle, ratio, rest, out.handle, images ? Int32Array.from(images) : null)),
  );
}

/**
 * adjust_sharpness's smoothed image: 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, borders kept
 * (with `images`: [K, C, H, W] for those images).
 *
 * @example
 *   const soft = smoothU8(batch);
 */
export function smoothU8(x: Tensor, images?: readonly number[]): Tensor {
  checkImageBatch(x, 'smoothU8');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return run(x, [images?.length ?? n, c, h, w], (i, o) => native.smoothU8(i.handle, o.handle, images ? Int32Array.from(images) : null));
}

/**
 * Nearest-neighbour affine warp: per image six float32 numbers, the 3x2 matrix (rows x, y,
 * 1) that maps centred pixel coordinates to grid_sample's [-1, 1] coordinates
 * (torchvision's `rescaled_theta`); `fill` per channel for points outside the image.
 *
 * @example
 *   warpAffineNearestU8(batch, rescaledTheta(matrices, h, w), null);
 */
export function warpAffineNearestU8(x: Tensor, theta: Float32Array, fill: readonly number[] | null): Tensor {
  checkImageBatch(x, 'warpAffineNearestU8');
  return run(x, x.shape, (i, o) => native.warpAffineNearestU8(i.handle, theta, fill ? Float32Array.from(fill) : null, o.handle, null));
}

/**
 * The warp for the listed images only, theta holding their six numbers in list order.
 *
 * @example
 *   warpAffineNearestU8Into(batch, rescaledTheta([m], h, w), null, out, [4]);
 */
export function warpAffineNearestU8Into(x: Tensor, theta: Float32Array, fill: readonly number[] | null, out: Tensor, images: readonly number[]): void {
  checkImageBatch(x, 'warpAffineNearestU8');
  withContiguous(x, (c) => native.warpAffineNearestU8(c.handle, theta, fill ? Float32Array.from(fill) : null, out.handle, Int32Array.from(images)));
}

/**
 * out[n] = x[n] for the listed images.
 *
 * @example
 *   copyImagesU8(batch, out, [1, 2]);
 */
export function copyImagesU8(x: Tensor, out: Tensor, images: readonly number[]): void {
  checkImageBatch(x, 'copyImagesU8');
  withContiguous(x, (c) => native.copyImagesU8(c.handle, out.handle, Int32Array.from(images)));
}
