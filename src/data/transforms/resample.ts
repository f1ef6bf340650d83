/**
 * Executes views (crop box + output size + flips) on a batch of decoded images with
 * bilinear interpolation, giving a uint8 NCHW batch. This is where RandomResizedCrop,
 * resize, center crop, box crops and flips actually touch pixels.
 *
 * Why this route: measured on the 2-core dev box (CUB 227x227 JPEGs, crops scaled to 224),
 * sharp's `extract` + `resize` adds 1.5-2.5 ms of CPU per image to decoding (the crop
 * makes libvips decode to memory and its upsampler is slow); per-image
 * `upsample_bilinear2d` costs ~0.6 ms (float only in libtorch 1.13, so plus conversions);
 * a separable gather from ATen ops ~2 ms (ten full passes over the pixels); a JS loop
 * ~2.3 ms. The sample positions and weights are computed here in TypeScript and one
 * native loop (`resampleBilinearU8`, native/src/image.cc) applies them to all images of
 * the batch: ~0.1 ms per image, parallel over libtorch's intra-op threads. sharp still
 * does the *decode-time* downscale of large photos (shrink-on-load, decodeImage's
 * `maxSide`), so this bilinear step (no antialias filter) never shrinks by much.
 *
 * Semantics match `torch.nn.functional.interpolate(crop, size, mode='bilinear',
 * align_corners=False)` rounded to uint8, i.e. torchvision's
 * `resized_crop(uint8_tensor, ..., antialias=False)`: same float32 sample positions and
 * weights, same edge clamping at the crop border, same blend order, round half to even.
 *
 * @example
 *   const views = images.map((im) => resizeView(identityView(im.width, im.height), 224, 224));
 *   const batch = resampleBatch(images, views); // uint8 [N, 3, 224, 224]
 */
import { native } from '../../native/binding.js';
import { empty, type Tensor } from '../../tensor/index.js';
import { checkRgbImage, type RgbImage } from '../image.js';
import type { View } from './view.js';

const f32 = Math.fround;

/**
 * Image-local source indices (pairs i0, i1) and weights (pairs w0, w1) along one axis,
 * written at `at`: output j samples source coordinate `start + scale * (j + 0.5) - 0.5`,
 * clamped to the box and to the image.
 */
function axisTable(start: number, len: number, outLen: number, srcLen: number, flip: boolean, idx: Int32Array, w: Float32Array, at: number): void {
  const integral = Number.isInteger(start) && Number.isInteger(len);
  const scale = integral ? f32(len / outLen) : len / outLen;
  const lo = Math.max(0, Math.min(srcLen - 1, start));
  const hi = Math.max(lo, Math.min(srcLen - 1, start + len - 1));
  const hiIndex = Math.floor(hi);
  for (let j = 0; j < outLen; j++) {
    let i0: number;
    let lambda: number;
    if (integral) {
      // As ATen: float32 arithmetic on crop-local coordinates, negatives clamp to 0.
      let u = f32(f32(scale * (j + 0.5)) - 0.5);
      if (u < 0) u = 0;
      const k = Math.floor(u);
      lambda = f32(u - k);
      i0 = start + k;
    } else {
      const g = Math.min(hi, Math.max(lo, start + scale * (j + 0.5) - 0.5));
      i0 = Math.floor(g);
      lambda = g - i0;
    }
    if (i0 < 0) [i0, lambda] = [0, 0];
    if (i0 >= hiIndex) [i0, lambda] = [hiIndex, 0];
    const o = (at + (flip ? outLen - 1 - j : j)) * 2;
    idx[o] = i0;
    idx[o + 1] = i0 < hiIndex ? i0 + 1 : i0;
    w[o] = f32(1 - lambda);
    w[o + 1] = lambda;
  }
}

/**
 * Bilinear resampling of each image's view; all views must share one output size.
 * Returns a uint8 tensor [N, 3, outHeight, outWidth] owned by the caller.
 *
 * @example
 *   const u8 = resampleBatch(images, views); // [N, 3, oh, ow]
 */
export function resampleBatch(images: readonly RgbImage[], views: readonly View[]): Tensor {
  if (images.length === 0) throw new RangeError('resampleBatch: no images');
  if (images.length !== views.length) throw new RangeError(`resampleBatch: ${images.length} images but ${views.length} views`);
  const n = images.length;
  const { outHeight: oh, outWidth: ow } = views[0]!;
  const rowIdx = new Int32Array(n * oh * 2);
  const rowW = new Float32Array(n * oh * 2);
  const colIdx = new Int32Array(n * ow * 2);
  const colW = new Float32Array(n * ow * 2);
  views.forEach((v, i) => {
    if (v.outHeight !== oh || v.outWidth !== ow) {
      throw new RangeError(`resampleBatch: view ${i} is ${v.outHeight}x${v.outWidth}, view 0 is ${oh}x${ow}; a batch needs one size`);
    }
    const im = images[i]!;
    checkRgbImage(im);
    if (v.sourceWidth !== im.width || v.sourceHeight !== im.height) {
      throw new RangeError(`resampleBatch: view ${i} was made for ${v.sourceWidth}x${v.sourceHeight}, image is ${im.width}x${im.height}`);
    }
    axisTable(v.y, v.height, oh, im.height, v.flipY, rowIdx, rowW, i * oh);
    axisTable(v.x, v.width, ow, im.width, v.flipX, colIdx, colW, i * ow);
  });
  const out = empty([n, 3, oh, ow], { dtype: 'uint8' });
  try {
    const widths = Int32Array.from(images, (im) => im.width);
    native.resampleBilinearU8(
      images.map((im) => im.data),
      widths,
      rowIdx,
      rowW,
      colIdx,
      colW,
      out.handle,
    );
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}
