/**
 * Digital corruptions, ImageNet-C's parameters (imagenet_c/corruptions.py):
 * - jpeg: re-encoded at quality 25 18 15 10 7 (sharp/libjpeg-turbo, 4:2:0 chroma, as PIL's
 *   default), decoded again;
 * - pixelate: resized with a box filter to ⌊side · c⌋, c = .6 .5 .4 .3 .25, and back, with
 *   PIL's BOX resampling (its coefficients and 8-bit fixed-point rounding, reproduced in
 *   `boxResize` so the result equals PIL's). ImageNet-C's code uses 224 for both sides;
 *   here each side is scaled by c.
 *
 * @example
 *   const y = await jpeg(img, 3); // quality 15
 */
import sharp from 'sharp';
import type { RgbImage } from '../../data/image.js';

export const JPEG_QUALITY = [25, 18, 15, 10, 7];
export const PIXELATE = [0.6, 0.5, 0.4, 0.3, 0.25];

export async function jpeg(img: RgbImage, severity: number): Promise<RgbImage> {
  const q = JPEG_QUALITY[severity - 1]!;
  const raw = { raw: { width: img.width, height: img.height, channels: 3 as const } };
  const encoded = await sharp(img.data, raw).jpeg({ quality: q, chromaSubsampling: '4:2:0' }).toBuffer();
  const { data, info } = await sharp(encoded).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's per-output-pixel box-filter coefficients (ImagingResample's precompute_coeffs). */
function boxCoefficients(inSize: number, outSize: number): { bounds: Int32Array; ksize: number; coeffs: Int32Array } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const coeffs = new Int32Array(outSize * ksize);
  const ss = 1 / filterscale;
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = (x + xmin - center + 0.5) * ss;
      const w = t > -0.5 && t <= 0.5 ? 1 : 0; // PIL: box_filter is 1 on (-0.5, 0.5]
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax && ww !== 0 ? k[x]! / ww : 0;
      // PIL normalises to fixed point rounding half away from zero
      coeffs[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, ksize, coeffs };
}

const clip8 = (v: number) => {
  const r = Math.floor(v / (1 << PRECISION_BITS));
  return r < 0 ? 0 : r > 255 ? 255 : r;
};

/** PIL's `Image.resize((w, h), Image.BOX)` on 8-bit RGB: horizontal pass, then vertical. */
export function boxResize(img: RgbImage, outW: number, outH: number): RgbImage {
  let cur = img;
  if (outW !== img.width) {
    const { bounds, ksize, coeffs } = boxCoefficients(img.width, outW);
    const data = new Uint8Array(outW * img.height * 3);
    for (let y = 0; y < img.height; y++)
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        for (let c = 0; c < 3; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += img.data[(y * img.width + x + xmin) * 3 + c]! * coeffs[xx * ksize + x]!;
          data[(y * outW + xx) * 3 + c] = clip8(ss);
        }
      }
    cur = { data, width: outW, height: img.height };
  }
  if (outH !== cur.height) {
    const { bounds, ksize, coeffs } = boxCoefficients(cur.height, outH);
    const data = new Uint8Array(cur.width * outH * 3);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[yy * 2]!;
      const ymax = bounds[yy * 2 + 1]!;
      for (let x = 0; x < cur.width; x++)
        for (let c = 0; c < 3; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let y = 0; y < ymax; y++) ss += cur.data[((y + ymin) * cur.width + x) * 3 + c]! * coeffs[yy * ksize + y]!;
          data[(yy * cur.width + x) * 3 + c] = clip8(ss);
        }
    }
    cur = { data, width: cur.width, height: outH };
  }
  return cur === img ? { data: Uint8Array.from(img.data), width: img.width, height: img.height } : cur;
}

export function pixelate(img: RgbImage, severity: number): RgbImage {
  const c = PIXELATE[severity - 1]!;
  const small = boxResize(img, Math.max(1, Math.trunc(img.width * c)), Math.max(1, Math.trunc(img.height * c)));
  return boxResize(small, img.width, img.height);
}
