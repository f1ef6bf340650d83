/**
 * torchvision's colour operations on uint8 image batches [N, 3, H, W], each image with its
 * own parameter: `adjustBrightness(x, [1.3, 0.7])` brightens image 0 and darkens image 1.
 * Results equal `torchvision.transforms.functional` on uint8 tensors (0.14): the same
 * float32 arithmetic, truncation to uint8 and grayscale weights; the per-pixel ones run as
 * lookup tables (lut.ts), saturation and sharpness as ATen ops.
 *
 * @example
 *   const y = solarize(batch, [128, 200]);   // per-image thresholds
 *   const z = equalize(batch);               // histogram equalisation per channel
 */
import { scope, type Tensor } from '../../tensor/index.js';
import { blendU8, checkImageBatch, grayscaleU8, histograms, smoothU8 } from './kernels.js';
import { mapPixels, saturateTrunc } from './lut.js';

const f32 = Math.fround;

function perImage(x: Tensor, values: readonly number[], what: string): void {
  checkImageBatch(x, what);
  if (values.length !== x.size(0)) throw new RangeError(`${what}: ${x.size(0)} images but ${values.length} parameters`);
}

/** 255 - v. */
export function invert(x: Tensor): Tensor {
  checkImageBatch(x, 'invert');
  return mapPixels(x, () => (v) => 255 - v);
}

/** Keeps the top `bits` bits of every value (bits 0..8). */
export function posterize(x: Tensor, bits: readonly number[]): Tensor {
  perImage(x, bits, 'posterize');
  return mapPixels(x, (n) => {
    const mask = (0xff << (8 - bits[n]!)) & 0xff;
    return (v) => v & mask;
  });
}

/** Inverts values >= threshold (compared in float32, as torch compares uint8 with a float). */
export function solarize(x: Tensor, thresholds: readonly number[]): Tensor {
  perImage(x, thresholds, 'solarize');
  return mapPixels(x, (n) => {
    const t = f32(thresholds[n]!);
    return (v) => (v >= t ? 255 - v : v);
  });
}

/** torchvision's `_blend(img, other, ratio)` for one value: float32 throughout, truncated. */
function blend(v: number, other: number, ratio: number): number {
  return saturateTrunc(f32(f32(f32(ratio) * v) + f32(f32(1 - ratio) * other)));
}

/** Blend with black: factor 0 gives black, 1 the original. */
export function adjustBrightness(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustBrightness');
  return mapPixels(x, (n) => (v) => blend(v, 0, factors[n]!));
}

/** torchvision's rgb_to_grayscale on uint8: float32 Rec.601 luma, truncated; [N, 1, H, W]. */
export function rgbToGrayscale(x: Tensor): Tensor {
  return grayscaleU8(x);
}

/** Blend with the mean gray level of each image: factor 0 gives flat gray. */
export function adjustContrast(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustContrast');
  // The mean as torchvision takes it: ATen's float32 mean of the uint8 grayscale image.
  const means = scope(() => Array.from(grayscaleU8(x).float().mean([1, 2, 3]).toTypedArray() as Float32Array));
  return mapPixels(x, (n) => (v) => blend(v, means[n]!, factors[n]!));
}

/** Blend with the grayscale image: factor 0 gives grayscale, 1 the original. */
export function adjustSaturation(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustSaturation');
  return scope(() => blendU8(x, grayscaleU8(x), factors));
}

/**
 * Blend with a 3x3 smoothed copy (kernel [[1,1,1],[1,5,1],[1,1,1]] / 13, border pixels
 * kept): factor 0 blurs, 2 sharpens. Images of width or height <= 2 are returned as is.
 */
export function adjustSharpness(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustSharpness');
  if (x.size(2) <= 2 || x.size(3) <= 2) return x.clone();
  return scope(() => blendU8(x, smoothU8(x), factors));
}

/** Stretches each channel to span 0..255 (channels with one value are left alone). */
export function autocontrast(x: Tensor): Tensor {
  checkImageBatch(x, 'autocontrast');
  const hist = histograms(x);
  return mapPixels(x, (n, c) => {
    const h = hist.subarray((n * x.size(1) + c) * 256, (n * x.size(1) + c + 1) * 256);
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    let min = lo;
    // torch evaluates `255.0 / tensor` as reciprocal(tensor) * 255 (Tensor.__rtruediv__).
    let scale = f32(f32(1 / (hi - lo)) * 255);
    if (!Number.isFinite(scale)) [min, scale] = [0, 1];
    return (v) => saturateTrunc(f32(f32(v - min) * scale));
  });
}

/** Histogram equalisation per channel, as PIL's ImageOps.equalize and torchvision. */
export function equalize(x: Tensor): Tensor {
  checkImageBatch(x, 'equalize');
  const hist = histograms(x);
  return mapPixels(x, (n, c) => {
    const h = hist.subarray((n * x.size(1) + c) * 256, (n * x.size(1) + c + 1) * 256);
    let last = 255;
    while (last > 0 && h[last] === 0) last--;
    let total = 0; // all counts but the last non-empty bin's
    for (let v = 0; v < last; v++) total += h[v]!;
    const step = Math.floor(total / 255);
    if (step === 0) return (v) => v;
    const lut = new Uint8Array(256);
    let cum = 0;
    for (let v = 0; v < 255; v++) {
      cum += h[v]!;
      lut[v + 1] = Math.min(255, Math.floor((cum + Math.floor(step / 2)) / step));
    }
    return (v) => lut[v]!;
  });
}
