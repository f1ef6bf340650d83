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
import { adjustBrightness, adjustContrast, adjustSaturation, adjustSharpness, autocontrast, equalize, invert, posterize, solarize } from './color-ops.js';
import { affineMatrix, rotationMatrix, shearDegrees, warpAffine } from './geometric-ops.js';
import { checkImageBatch } from './lut.js';

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

/** The inverse matrix of a geometric op on an h x w image. */
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

/** Applies one colour op to every image of x, image i with magnitude mags[i]. */
function colorOp(op: AugmentOp, x: Tensor, mags: number[]): Tensor {
  const factors = () => mags.map((m) => 1 + m);
  switch (op) {
    case 'Brightness':
      return adjustBrightness(x, factors());
    case 'Color':
      return adjustSaturation(x, factors());
    case 'Contrast':
      return adjustContrast(x, factors());
    case 'Sharpness':
      return adjustSharpness(x, factors());
    case 'Posterize':
      return posterize(x, mags.map((m) => Math.trunc(m)));
    case 'Solarize':
      return solarize(x, mags);
    case 'AutoContrast':
      return autocontrast(x);
    case 'Equalize':
      return equalize(x);
    case 'Invert':
      return invert(x);
    default:
      throw new RangeError(`unknown augmentation op ${op}`);
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

/**
 * One op (or none: null) per image. Returns a new uint8 batch; x is left alone. `fill` is
 * the colour geometric ops put where no source pixel lands (default 0).
 */
export function applyOps(x: Tensor, choices: readonly (OpChoice | null)[], fill?: number | readonly number[]): Tensor {
  checkImageBatch(x, 'applyOps');
  const [n, , h, w] = x.shape as [number, number, number, number];
  if (choices.length !== n) throw new RangeError(`applyOps: ${n} images but ${choices.length} choices`);
  const out = x.clone('contiguous');
  const groups = new Map<string, number[]>();
  choices.forEach((c, i) => {
    if (!c || c.op === 'Identity') return;
    const key = GEOMETRIC.has(c.op) ? 'geometric' : c.op;
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
