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
import { fromTypedArray, scope, type Tensor } from '../../tensor/index.js';
import { adjustSaturation, adjustSharpness, grayMeans } from './color-ops.js';
import { affineMatrix, rotationMatrix, shearDegrees, warpAffine } from './geometric-ops.js';
import { checkImageBatch, histograms } from './kernels.js';
import { mapPixels } from './lut.js';
import { autocontrastMap, brightnessMap, contrastMap, equalizeMap, identityMap, invertMap, posterizeMap, solarizeMap, type ValueMap } from './tables.js';

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

export interface OpChoice {
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

/** Applies one non-lookup colour op to every image of x, image i with magnitude mags[i]. */
function colorOp(op: AugmentOp, x: Tensor, mags: number[]): Tensor {
  const factors = mags.map((m) => 1 + m);
  if (op === 'Color') return adjustSaturation(x, factors);
  if (op === 'Sharpness') return adjustSharpness(x, factors);
  throw new RangeError(`unknown augmentation op ${op}`);
}

/**
 * x[idx] = f(x[idx]) in place: runs an op on some images of a batch only.
 *
 * @example
 *   onSubset(batch, [0, 3], (sub) => invert(sub)); // images 0 and 3 only
 */
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

/**
 * One op (or none: null) per image. Returns a new uint8 batch; x is left alone. `fill` is
 * the colour geometric ops put where no source pixel lands (default 0).
 *
 * Cost shape: every lookup op of the round (and the copy for the other images) is one
 * table pass over the batch; each other op kind runs once on the images that drew it.
 *
 * @example
 *   const y = applyOps(batch, [{ op: 'Rotate', magnitude: 30 }, null]);
 */
export function applyOps(x: Tensor, choices: readonly (OpChoice | null)[], fill?: number | readonly number[]): Tensor {
  checkImageBatch(x, 'applyOps');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (choices.length !== n) throw new RangeError(`applyOps: ${n} images but ${choices.length} choices`);
  const active = (i: number) => choices[i] && choices[i]!.op !== 'Identity';
  const lookups = choices.flatMap((ch, i) => (active(i) && LOOKUP.has(ch!.op) ? [i] : []));
  let out: Tensor;
  if (lookups.length) {
    const needHist = lookups.some((i) => choices[i]!.op === 'Equalize' || choices[i]!.op === 'AutoContrast');
    const hist = needHist ? histograms(x) : null;
    const contrastIdx = lookups.filter((i) => choices[i]!.op === 'Contrast');
    const means = new Map<number, number>();
    if (contrastIdx.length) {
      const m = scope(() => grayMeans(contrastIdx.length === n ? x : x.indexSelect(0, fromTypedArray(BigInt64Array.from(contrastIdx, BigInt), [contrastIdx.length]))));
      contrastIdx.forEach((i, k) => means.set(i, m[k]!));
    }
    out = mapPixels(x, (i, ch) => {
      const choice = choices[i];
      if (!active(i) || !LOOKUP.has(choice!.op)) return identityMap;
      return lookupMap(choice!.op, choice!.magnitude, () => hist!.subarray((i * c + ch) * 256, (i * c + ch + 1) * 256), () => means.get(i)!);
    });
  } else {
    out = x.clone('contiguous');
  }
  const groups = new Map<string, number[]>();
  choices.forEach((ch, i) => {
    if (!active(i) || LOOKUP.has(ch!.op)) return;
    const key = GEOMETRIC.has(ch!.op) ? 'geometric' : ch!.op;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  try {
    for (const [key, idx] of groups) {
      if (key === 'geometric') {
        const matrices = idx.map((i) => opMatrix(choices[i]!.op, choices[i]!.magnitude, h, w));
        onSubset(out, idx, (sub) => warpAffine(sub, matrices, fill));
      } else {
        onSubset(out, idx, (sub) => colorOp(key as AugmentOp, sub, idx.map((i) => choices[i]!.magnitude)));
      }
    }
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}
