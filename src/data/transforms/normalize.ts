/**
 * uint8 -> float32 normalisation, torchvision's `ToTensor()` + `Normalize(mean, std)` on a
 * whole batch with the same float32 steps (x / 255, - mean, / std), so inputs match what a
 * torchvision-trained model saw to the last bit.
 *
 * @example
 *   compose([resize(256), centerCrop(224), normalize()]);             // ImageNet statistics
 *   const f = normalizeBatch(u8batch, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
 */
import { native } from '../../native/binding.js';
import { empty, type Tensor } from '../../tensor/index.js';
import type { NormalizeTransform } from './transform.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../models/preprocess-config.js';

export { IMAGENET_MEAN, IMAGENET_STD };

/**
 * The normalisation stage of a pipeline (ImageNet statistics by default).
 *
 * @example
 *   compose([resize([224, 224]), normalize(IMAGENET_MEAN, IMAGENET_STD)])
 */
export function normalize(mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD): NormalizeTransform {
  if (mean.length !== std.length || std.some((s) => !(s > 0)))
    throw new RangeError(`normalize: need one positive std per mean, got mean [${mean}] std [${std}]`);
  return { stage: 'normalize', name: `normalize(${mean}; ${std})`, mean: [...mean], std: [...std] };
}

/**
 * A uint8 batch [N, C, H, W] as float32 (x / 255 - mean) / std; a new tensor. One native
 * pass (`normalizeU8`) instead of ATen's four (convert, divide, subtract, divide), with
 * the same float32 operations in the same order, so the result is bit-identical.
 *
 * @example
 *   const f = normalizeBatch(u8batch); // float32, ImageNet statistics
 */
export function normalizeBatch(x: Tensor, mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD): Tensor {
  const c = x.size(1);
  if (x.dtype !== 'uint8' || x.ndim !== 4) throw new TypeError(`normalizeBatch: expected a uint8 batch [N, C, H, W], got ${x.dtype} [${x.shape}]`);
  if (mean.length !== c || std.length !== c) throw new RangeError(`normalizeBatch: ${c} channels but ${mean.length} means and ${std.length} stds`);
  const src = x.isContiguous() ? x : x.contiguous();
  const out = empty(x.shape);
  try {
    native.normalizeU8(src.handle, Float32Array.from(mean), Float32Array.from(std), out.handle);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    if (src !== x) src.dispose();
  }
  return out;
}
