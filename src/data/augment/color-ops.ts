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
import { mapPixels } from './lut.js';
import { autocontrastMap, brightnessMap, contrastMap, equalizeMap, invertMap, posterizeMap, solarizeMap } from './tables.js';

function perImage(x: Tensor, values: readonly number[], what: string): void {
  checkImageBatch(x, what);
  if (values.length !== x.size(0)) throw new RangeError(`${what}: ${x.size(0)} images but ${values.length} parameters`);
}

/** Per (image, channel) histograms as 256-bin views. */
function planeHistograms(x: Tensor): (n: number, c: number) => Int32Array {
  const hist = histograms(x);
  const ch = x.size(1);
  return (n, c) => hist.subarray((n * ch + c) * 256, (n * ch + c + 1) * 256);
}

/**
 * The float32 mean of each image's uint8 grayscale version, as torchvision's adjust_contrast takes it.
 *
 * @example
 *   grayMeans(batch); // [118.3, 96.0, ...], one float32 mean per image
 */
export function grayMeans(x: Tensor): number[] {
  return scope(() => Array.from(grayscaleU8(x).float().mean([1, 2, 3]).toTypedArray() as Float32Array));
}

/**
 * 255 - v.
 *
 * @example
 *   const y = invert(batch);
 */
export function invert(x: Tensor): Tensor {
  checkImageBatch(x, 'invert');
  return mapPixels(x, () => invertMap);
}

/**
 * Keeps the top `bits` bits of every value (bits 0..8).
 *
 * @example
 *   const y = posterize(batch, [4, 6]); // image 0 keeps 4 bits, image 1 six
 */
export function posterize(x: Tensor, bits: readonly number[]): Tensor {
  perImage(x, bits, 'posterize');
  return mapPixels(x, (n) => posterizeMap(bits[n]!));
}

/**
 * Inverts values >= threshold (compared in float32, as torch compares uint8 with a float).
 *
 * @example
 *   const y = solarize(batch, [128, 200]);
 */
export function solarize(x: Tensor, thresholds: readonly number[]): Tensor {
  perImage(x, thresholds, 'solarize');
  return mapPixels(x, (n) => solarizeMap(thresholds[n]!));
}

/**
 * Blend with black: factor 0 gives black, 1 the original.
 *
 * @example
 *   const y = adjustBrightness(batch, [1.5, 0.5]);
 */
export function adjustBrightness(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustBrightness');
  return mapPixels(x, (n) => brightnessMap(factors[n]!));
}

/**
 * torchvision's rgb_to_grayscale on uint8: float32 Rec.601 luma, truncated; [N, 1, H, W].
 *
 * @example
 *   const gray = rgbToGrayscale(batch); // [N, 1, H, W]
 */
export function rgbToGrayscale(x: Tensor): Tensor {
  return grayscaleU8(x);
}

/**
 * Blend with the mean gray level of each image: factor 0 gives flat gray.
 *
 * @example
 *   const y = adjustContrast(batch, [0.5, 1.8]);
 */
export function adjustContrast(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustContrast');
  const means = grayMeans(x);
  return mapPixels(x, (n) => contrastMap(factors[n]!, means[n]!));
}

/**
 * Blend with the grayscale image: factor 0 gives grayscale, 1 the original.
 *
 * @example
 *   const y = adjustSaturation(batch, [0, 2]); // grayscale, then vivid
 */
export function adjustSaturation(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustSaturation');
  return scope(() => blendU8(x, grayscaleU8(x), factors));
}

/**
 * Blend with a 3x3 smoothed copy (kernel [[1,1,1],[1,5,1],[1,1,1]] / 13, border pixels
 * kept): factor 0 blurs, 2 sharpens. Images of width or height <= 2 are returned as is.
 *
 * @example
 *   const y = adjustSharpness(batch, [0, 2]); // blurred, then sharpened
 */
export function adjustSharpness(x: Tensor, factors: readonly number[]): Tensor {
  perImage(x, factors, 'adjustSharpness');
  if (x.size(2) <= 2 || x.size(3) <= 2) return x.clone();
  return scope(() => blendU8(x, smoothU8(x), factors));
}

/**
 * Stretches each channel to span 0..255 (channels with one value are left alone).
 *
 * @example
 *   const y = autocontrast(batch);
 */
export function autocontrast(x: Tensor): Tensor {
  checkImageBatch(x, 'autocontrast');
  const hist = planeHistograms(x);
  return mapPixels(x, (n, c) => autocontrastMap(hist(n, c)));
}

/**
 * Histogram equalisation per channel, as PIL's ImageOps.equalize and torchvision.
 *
 * @example
 *   const y = equalize(batch);
 */
export function equalize(x: Tensor): Tensor {
  checkImageBatch(x, 'equalize');
  const hist = planeHistograms(x);
  return mapPixels(x, (n, c) => equalizeMap(hist(n, c)));
}
