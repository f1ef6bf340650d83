/**
 * Affine warps of uint8 image batches [N, C, H, W], each image with its own transform:
 * rotate, shear, translate (and any combination) with nearest-neighbour sampling and a
 * constant fill, as torchvision's tensor `affine`/`rotate` (0.14) compute them: the
 * inverse matrix of `_get_inverse_affine_matrix`, a float32 sampling grid around the image
 * centre, and `grid_sample(mode='nearest', padding_mode='zeros', align_corners=False)`.
 * The grid is made by the same ATen calls on the same float32 values; V8's and CPython's
 * cos/sin/tan may differ in the last bit of a double, which rounding the matrix to float32
 * almost always hides.
 *
 * @example
 *   const m = [affineMatrix({ angle: 30 }), affineMatrix({ shear: [10, 0], center: [-112, -112] })];
 *   const y = warpAffine(batch, m);          // image 0 rotated, image 1 sheared
 */
import { empty, fromTypedArray, linspace, scope, type Tensor } from '../../tensor/index.js';
import { checkImageBatch, warpNearestU8 } from './kernels.js';

/** CPython's math.radians/degrees constants, so angles round-trip as in torchvision. */
const DEG_TO_RAD = Math.PI / 180;
const RAD_TO_DEG = 180 / Math.PI;

/** `math.degrees(math.atan(m))`: the shear angle torchvision's AutoAugment uses for magnitude m. */
export function shearDegrees(m: number): number {
  return Math.atan(m) * RAD_TO_DEG;
}

export interface AffineParams {
  /** Rotation in degrees, counter-clockwise positive as in torchvision's affine. */
  angle?: number;
  /** Translation in pixels [x, y]. */
  translate?: [number, number];
  scale?: number;
  /** Shear angles in degrees [x, y]. */
  shear?: [number, number];
  /** Centre in pixels relative to the image centre (torchvision's `center_f`); default [0, 0]. */
  center?: [number, number];
}

/**
 * The inverse affine matrix (output pixel -> input pixel, 6 numbers, row-major 2x3) for
 * M = T * C * R * S * Shy * Shx * C^-1, the convention of torchvision's affine.
 */
export function affineMatrix(p: AffineParams): number[] {
  const rot = (p.angle ?? 0) * DEG_TO_RAD;
  const [shx, shy] = p.shear ?? [0, 0];
  const sx = shx * DEG_TO_RAD;
  const sy = shy * DEG_TO_RAD;
  const [cx, cy] = p.center ?? [0, 0];
  const [tx, ty] = p.translate ?? [0, 0];
  const scale = p.scale ?? 1;
  // Rotation-shear part; its determinant is 1, so the inverse is the adjugate.
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

/** Rotation by `degrees` about the image centre (counter-clockwise), as torchvision's rotate. */
export function rotationMatrix(degrees: number): number[] {
  // torchvision's rotate negates the angle relative to its affine.
  return affineMatrix({ angle: -degrees });
}

/** Sampling grids [n, h, w, 2] in grid_sample's [-1, 1] coordinates, torchvision's `_gen_affine_grid`. */
function affineGrids(matrices: readonly number[][], h: number, w: number): Tensor {
  return scope(() => {
    const n = matrices.length;
    const theta = fromTypedArray(Float32Array.from(matrices.flat()), [n, 2, 3]);
    const base = empty([1, h, w, 3]);
    base.select(3, 0).copy_(linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, w));
    base.select(3, 1).copy_(linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, h).unsqueeze(-1));
    base.select(3, 2).fill_(1);
    const rescaled = theta.transpose(1, 2).div(fromTypedArray(new Float32Array([0.5 * w, 0.5 * h]), [2]));
    const grid = base.view(1, h * w, 3).expand(n, h * w, 3).bmm(rescaled);
    return grid.view(n, h, w, 2);
  });
}

/**
 * Warps each image by its inverse matrix (from `affineMatrix`), nearest neighbour; pixels
 * sampled from outside the image get `fill` (one value or one per channel, default 0).
 * The grid comes from ATen exactly as torchvision builds it; the sampling itself, a copy
 * of whole uint8 pixels, runs natively (no float round trip).
 */
export function warpAffine(x: Tensor, matrices: readonly number[][], fill?: number | readonly number[]): Tensor {
  checkImageBatch(x, 'warpAffine');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (matrices.length !== n) throw new RangeError(`warpAffine: ${n} images but ${matrices.length} matrices`);
  const fills = fill === undefined ? null : typeof fill === 'number' ? new Array<number>(c).fill(fill) : [...fill];
  if (fills && fills.length !== c) throw new RangeError(`warpAffine: ${c} channels but ${fills.length} fill values`);
  return scope(() => warpNearestU8(x, affineGrids(matrices, h, w), fills));
}
