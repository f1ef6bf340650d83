/**
 * The AutoAugment operation set (the 14 of Cubuk et al. 2019 plus Identity) with
 * torchvision's magnitude conventions: shears are tangents (ShearX 0.3 = atan(0.3)
 * degrees), translations are truncated to whole pixels, colour magnitudes m mean factor
 * 1 + m, Posterize takes bits, Solarize a threshold. `applyOps` runs one op per image on a
 * whole batch: images sharing an op go through it together (one call per op kind; all
 * geometric ops of a round share one grid_sample).
 *
 * @example
 *   const y = applyOps(batch, [{ op: 'Rotate', magnitude: 30 }, null, { op: 'Equalize', magnitude: 0 }]);
 */
import { aten } from '../../native/aten.js';
import { empty, fromTypedArray, scope, type Tensor } from '../../tensor/index.js';
import { grayMeans } from './color-ops.js';
import { affineMatrix, rotationMatrix, shearDegrees, warpAffineInto } from './geometric-ops.js';
import { blendU8Into, checkImageBatch, copyImagesU8, grayscaleU8, histograms, smoothU8 } from './kernels.js';
import { mapPixelsInto } from './lut.js';
import { autocontrastMap, brightnessMap, contrastMap, equalizeMap, invertMap, posterizeMap, solarizeMap, type ValueMap } from './tables.js';

/** The names of the AutoAugment operations, as torchvision spells them. */
export type AugmentOp =
  | 'Identity'
  | 'ShearX'
  | 'ShearY'
  | 'TranslateX'
  | 'TranslateY'
  | 'Rotate'
  | 'Brightness'
  | 'Color'
  | 'Contrast'
  | 'Sharpness'
  | 'Posterize'
  | 'Solarize'
  | 'AutoContrast'
  | 'Equalize'
  | 'Invert';

/** One image's op in a round of `applyOps`: which op, at which signed magnitude. */
export interface OpChoice {
  /** The operation. */
  op: AugmentOp;
  /** Signed magnitude, as torchvision passes it to `_apply_op`. */
  magnitude: number;
}

const GEOMETRIC = new Set<AugmentOp>(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate']);

/**
 * The inverse matrix of a geometric op on an h x w image.
 *
 * @example
 *   opMatrix('Rotate', 30, 224, 224); // the 6-number inverse matrix
 */
export function opMatrix(op: AugmentOp, m: number, h: number, w: number): number[] {
  // Shears pivot on the top-left corner (center [0, 0] in pixels), as AutoAugment's reference.
  const corner: [number, number] = [-w * 0.5, -h * 0.5];
  switch (op) {
    case 'ShearX':
      return affineMatrix({ shear: [shearDegrees(m), 0], center: corner });
    case 'ShearY':
      return affineMatrix({ shear: [0, shearDegrees(m)], center: corner });
    case 'TranslateX':
      return affineMatrix({ translate: [Math.trunc(m), 0] });
    case 'TranslateY':
      return affineMatrix({ translate: [0, Math.trunc(m)] });
    case 'Rotate':
      return rotationMatrix(m);
    default:
      throw new RangeError(`opMatrix: ${op} is not geometric`);
  }
}

/** Ops that are per-pixel lookups: all of a round's go through one table pass. */
const LOOKUP = new Set<AugmentOp>(['Brightness', 'Contrast', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize', 'Invert']);

/** The value map of a lookup op for one channel of one image. */
function lookupMap(op: AugmentOp, m: number, hist: () => Int32Array, grayMean: () => number): ValueMap {
  switch (op) {
    case 'Brightness':
      return brightnessMap(1 + m);
    case 'Contrast':
      return contrastMap(1 + m, grayMean());
    case 'Posterize':
      return posterizeMap(Math.trunc(m));
    case 'Solarize':
      return solarizeMap(m);
    case 'AutoContrast':
      return autocontrastMap(hist());
    case 'Equalize':
      return equalizeMap(hist());
    case 'Invert':
      return invertMap;
    default:
      throw new RangeError(`${op} is not a lookup op`);
  }
}

/** x[idx] = f(x[idx]) in place: runs an op on some images of a batch only. */
export function onSubset(x: Tensor, idx: number[], f: (sub: Tensor) => Tensor): void {
  scope(() => {
    const all = idx.length === x.size(0);
    const index = fromTypedArray(BigInt64Array.from(idx, BigInt), [idx.length]);
    const sub = all ? x : x.indexSelect(0, index);
    const y = f(sub);
    if (all) x.copy_(y);
    else aten('index_copy_').callVoid(x.handle, 0, index.handle, y.handle);
  });
}

/** out[i] = op_i(x[i]) for the images that drew lookup ops: one table pass. */
function lookupInto(x: Tensor, out: Tensor, idx: number[], choices: readonly (OpChoice | null)[]): void {
  const [n, c] = x.shape as [number, number];
  const histFor = idx.filter((i) => choices[i]!.op === 'Equalize' || choices[i]!.op === 'AutoContrast');
  const hist = histFor.length ? histograms(x, histFor) : null;
  const contrastIdx = idx.filter((i) => choices[i]!.op === 'Contrast');
  const means = new Map<number, number>();
  if (contrastIdx.length) {
    const m = scope(() =>
      grayMeans(contrastIdx.length === n ? x : x.indexSelect(0, fromTypedArray(BigInt64Array.from(contrastIdx, BigInt), [contrastIdx.length]))),
    );
    contrastIdx.forEach((i, k) => means.set(i, m[k]!));
  }
  mapPixelsInto(x, out, idx, (i, ch) =>
    lookupMap(
      choices[i]!.op,
      choices[i]!.magnitude,
      () => hist!.subarray((i * c + ch) * 256, (i * c + ch + 1) * 256),
      () => means.get(i)!,
    ),
  );
}

/**
 * One op (or none: null) per image. Returns a new uint8 batch; x is left alone. `fill` is
 * the colour geometric ops put where no source pixel lands (default 0).
 *
 * Cost shape: each image is read and written once: a copy for images without an op, one
 * table pass for all lookup ops, one warp for all geometric ops, one call per other kind.
 *
 * @example
 *   const y = applyOps(batch, [{ op: 'Rotate', magnitude: 30 }, null]);
 */
export function applyOps(x: Tensor, choices: readonly (OpChoice | null)[], fill?: number | readonly number[]): Tensor {
  checkImageBatch(x, 'applyOps');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (choices.length !== n) throw new RangeError(`applyOps: ${n} images but ${choices.length} choices`);
  const active = (i: number) => choices[i] && choices[i]!.op !== 'Identity';
  // Every image is written once, from x into a fresh batch: no copy of the whole batch,
  // no gathering of subsets (index_select / index_copy_ cost more than the ops here).
  const out = empty([n, c, h, w], { dtype: 'uint8' });
  const groups = new Map<string, number[]>();
  choices.forEach((ch, i) => {
    const key = !active(i) ? 'none' : LOOKUP.has(ch!.op) ? 'lookup' : GEOMETRIC.has(ch!.op) ? 'geometric' : ch!.op;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  try {
    for (const [key, idx] of groups) {
      if (key === 'none') copyImagesU8(x, out, idx);
      else if (key === 'lookup') lookupInto(x, out, idx, choices);
      else if (key === 'geometric')
        warpAffineInto(
          x,
          out,
          idx,
          idx.map((i) => opMatrix(choices[i]!.op, choices[i]!.magnitude, h, w)),
          fill,
        );
      else if (key === 'Color')
        scope(() =>
          blendU8Into(
            x,
            grayscaleU8(x, idx),
            idx.map((i) => 1 + choices[i]!.magnitude),
            out,
            idx,
          ),
        );
      else if (key === 'Sharpness') {
        if (h <= 2 || w <= 2) copyImagesU8(x, out, idx);
        else
          scope(() =>
            blendU8Into(
              x,
              smoothU8(x, idx),
              idx.map((i) => 1 + choices[i]!.magnitude),
              out,
              idx,
            ),
          );
      } else throw new RangeError(`unknown augmentation op ${key}`);
    }
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}
