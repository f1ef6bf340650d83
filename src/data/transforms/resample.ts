/**
 * Executes views (crop box + output size + flips) on a batch of decoded images with
 * bilinear interpolation, giving a uint8 NCHW batch. This is where RandomResizedCrop,
 * resize, center crop, box crops and flips actually touch pixels.
 *
 * Why tensors and not sharp: measured on the 2-core dev box (CUB 227x227 JPEGs, crops
 * scaled to 224), sharp's `extract` + `resize` costs 1.5-2.5 ms of CPU per image on top of
 * decoding (the crop makes libvips decode to memory, and its upsampler is slow), and
 * per-image `upsample_bilinear2d` costs ~0.6 ms. The separable gather below does the whole
 * batch in ~10 ATen calls, ~0.1-0.2 ms per image. sharp still does the *decode-time*
 * downscale of large photos (shrink-on-load; see decodeImage's `maxSide`), so this
 * bilinear step (no antialias filter) never shrinks by much.
 *
 * Semantics match `torch.nn.functional.interpolate(crop, size, mode='bilinear',
 * align_corners=False)` followed by rounding to uint8, i.e. torchvision's
 * `resized_crop(uint8_tensor, ..., antialias=False)`: sample positions, edge clamping at
 * the crop border and float32 weights are computed the same way. The two passes run
 * vertical-then-horizontal (ATen blends horizontally first), so a handful of pixels in a
 * million can round to the neighbouring integer.
 *
 * @example
 *   const views = images.map((im) => resizeView(identityView(im.width, im.height), 224, 224));
 *   const batch = resampleBatch(images, views); // uint8 [N, 3, 224, 224]
 */
import { aten } from '../../native/aten.js';
import { cat, empty, fromTypedArray, scope, wrap, type Tensor } from '../../tensor/index.js';
import { checkRgbImage, type RgbImage } from '../image.js';
import type { View } from './view.js';

interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

const f32 = Math.fround;

/**
 * Source indices and weights along one axis: output j samples source coordinate
 * `start + scale * (j + 0.5) - 0.5`, clamped to the box (and the image).
 */
function axisTable(start: number, len: number, outLen: number, srcLen: number, flip: boolean, into: AxisTable, at: number, base: number): void {
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
    const o = at + (flip ? outLen - 1 - j : j);
    into.i0[o] = base + i0;
    into.i1[o] = base + (i0 < hiIndex ? i0 + 1 : i0);
    into.w1[o] = lambda;
    into.w0[o] = f32(1 - lambda);
  }
}

function newTable(n: number): AxisTable {
  return { i0: new Int32Array(n), i1: new Int32Array(n), w0: new Float32Array(n), w1: new Float32Array(n) };
}

/** w0 * rows[i0] + w1 * rows[i1], rows picked along dim 0 of a 2-D tensor. */
function blendRows(rows: Tensor, t: AxisTable): Tensor {
  const n = t.i0.length;
  const a = wrap(aten('index_select').call(rows.handle, 0, fromTypedArray(t.i0, [n]).handle));
  const b = wrap(aten('index_select').call(rows.handle, 0, fromTypedArray(t.i1, [n]).handle));
  const fa = a.dtype === 'float32' ? a : a.float();
  const fb = b.dtype === 'float32' ? b : b.float();
  const out = fa.mul(fromTypedArray(t.w0, [n, 1]));
  aten('addcmul_').callVoid(out.handle, fb.handle, fromTypedArray(t.w1, [n, 1]).handle, 1);
  return out;
}

/** Resamples images of one padded size class; returns uint8 [n, 3, oh, ow]. */
function resampleGroup(images: readonly RgbImage[], views: readonly View[]): Tensor {
  const n = images.length;
  const oh = views[0]!.outHeight;
  const ow = views[0]!.outWidth;
  const hMax = Math.max(...images.map((im) => im.height));
  const wMax = Math.max(...images.map((im) => im.width));
  return scope(() => {
    // One copy of the pixels into native memory, images padded to a common size.
    const src = empty([n, hMax, wMax, 3], { dtype: 'uint8' });
    const mem = src.toTypedArrayView() as Uint8Array;
    images.forEach((im, i) => {
      const at = i * hMax * wMax * 3;
      if (im.width === wMax) mem.set(im.data, at);
      else for (let r = 0; r < im.height; r++) mem.set(im.data.subarray(r * im.width * 3, (r + 1) * im.width * 3), at + r * wMax * 3);
    });
    const rowsT = newTable(n * oh);
    const colsT = newTable(n * ow);
    views.forEach((v, i) => {
      axisTable(v.y, v.height, oh, v.sourceHeight, v.flipY, rowsT, i * oh, i * hMax);
      axisTable(v.x, v.width, ow, v.sourceWidth, v.flipX, colsT, i * ow, i * wMax);
    });
    // Vertical pass over whole rows: [n*oh, wMax*3].
    const vert = blendRows(src.view(n * hMax, wMax * 3), rowsT);
    // Horizontal pass on the transposed image: [n*wMax, oh*3] rows are source columns.
    const cols = vert.view(n, oh, wMax, 3).permute(0, 2, 1, 3).contiguous().view(n * wMax, oh * 3);
    const horiz = blendRows(cols, colsT); // [n*ow, oh*3] = [n, ow, oh, 3]
    aten('round_').callVoid(horiz.handle);
    aten('clamp_').callVoid(horiz.handle, 0, 255);
    const u8 = horiz.to({ dtype: 'uint8' });
    return u8.view(n, ow, oh, 3).permute(0, 3, 2, 1).contiguous();
  });
}

/**
 * Groups images so that padding to a common size wastes little memory (one 4000x3000
 * photo must not pad 31 thumbnails to its size); returns groups of indices.
 */
function sizeGroups(images: readonly RgbImage[]): number[][] {
  const order = images.map((_, i) => i).sort((a, b) => images[a]!.width * images[a]!.height - images[b]!.width * images[b]!.height);
  const groups: number[][] = [];
  let cur: number[] = [];
  let area = 0;
  let hMax = 0;
  let wMax = 0;
  for (const i of order) {
    const im = images[i]!;
    const h = Math.max(hMax, im.height);
    const w = Math.max(wMax, im.width);
    const a = area + im.width * im.height;
    if (cur.length && h * w * (cur.length + 1) > 1.5 * a + 65536) {
      groups.push(cur);
      [cur, area, hMax, wMax] = [[i], im.width * im.height, im.height, im.width];
    } else {
      cur.push(i);
      [area, hMax, wMax] = [a, h, w];
    }
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/**
 * Bilinear resampling of each image's view; all views must share one output size.
 * Returns a uint8 tensor [N, 3, outHeight, outWidth] owned by the caller.
 */
export function resampleBatch(images: readonly RgbImage[], views: readonly View[]): Tensor {
  if (images.length === 0) throw new RangeError('resampleBatch: no images');
  if (images.length !== views.length) throw new RangeError(`resampleBatch: ${images.length} images but ${views.length} views`);
  const { outHeight, outWidth } = views[0]!;
  for (const [i, v] of views.entries()) {
    if (v.outHeight !== outHeight || v.outWidth !== outWidth) {
      throw new RangeError(`resampleBatch: view ${i} is ${v.outHeight}x${v.outWidth}, view 0 is ${outHeight}x${outWidth}; a batch needs one size`);
    }
    const im = images[i]!;
    checkRgbImage(im);
    if (v.sourceWidth !== im.width || v.sourceHeight !== im.height) {
      throw new RangeError(`resampleBatch: view ${i} was made for ${v.sourceWidth}x${v.sourceHeight}, image is ${im.width}x${im.height}`);
    }
  }
  const groups = sizeGroups(images);
  if (groups.length === 1) return resampleGroup(images, views);
  return scope(() => {
    const parts = groups.map((g) => resampleGroup(g.map((i) => images[i]!), g.map((i) => views[i]!)));
    const joined = cat(parts, 0);
    // Put images back in batch order: position k of `joined` holds image order[k].
    const order = Int32Array.from(groups.flat());
    const inverse = new Int32Array(order.length);
    order.forEach((img, k) => (inverse[img] = k));
    return wrap(aten('index_select').call(joined.handle, 0, fromTypedArray(inverse, [inverse.length]).handle));
  });
}
