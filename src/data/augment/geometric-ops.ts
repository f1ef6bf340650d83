/**
 * Affine warps of uint8 image batches [N, C, H, W], each image with its own transform:
 * rotate, shear, translate (and any combination) with nearest-neighbour sampling and a
 * constant fill, as torchvision's tensor `affine`/`rotate` (0.14) compute them: the
 * inverse matrix of `_get_inverse_affine_matrix`, a float32 sampling grid around the image
 * centre, and `grid_sample(mode='nearest', padding_mode='zeros', align_corners=False)`.
 * The same float32 steps; V8's and CPython's cos/sin/tan may differ in the last bit of a
 * double, which rounding the matrix to float32 almost always hides, and a sampling point
 * would have to sit within an ulp of a pixel boundary for any difference to show.
 *
 * @example
 *   const m = [affineMatrix({ angle: 30 }), affineMatrix({ shear: [10, 0], center: [-112, -112] })];
 *   const y = warpAffine(batch, m);          // image 0 rotated, image 1 sheared
 */
import type { Tensor } from '../../tensor/index.js';
import { checkImageBatch, warpAffineNearestU8, warpAffineNearestU8Into } from './kernels.js';

/** CPython's math.radians/degrees constants, so angles round-trip as in torchvision. */
const DEG_TO_RAD = Math.PI / 180;
const RAD_TO_DEG = 180 / Math.PI;

/**
 * `math.degrees(math.atan(m))`: the shear angle torchvision's AutoAugment uses for magnitude m.
 *
 * @example
 *   affineMatrix({ shear: [shearDegrees(0.3), 0] });
 */
export function shearDegrees(m: number): number {
  return Math.atan(m) * RAD_TO_DEG;
}

/** The parameters of `affineMatrix`, with torchvision's `affine` conventions; every one defaults to the identity. */
export interface AffineParams {
  /** Rotation in degrees, counter-clockwise positive as in torchvision's affine. */
  angle?: number;
  /** Translation in pixels [x, y]. */
  translate?: [number, number];
  /** Zoom factor, > 1 enlarges the content (default 1). */
  scale?: number;
  /** Shear angles in degrees [x, y]. */
  shear?: [number, number];
  /** Centre in pixels relative to the image centre (torchvision's `center_f`); default [0, 0]. */
  center?: [number, number];
}

/**
 * The inverse affine matrix (output pixel -> input pixel, 6 numbers, row-major 2x3) for
 * M = T * C * R * S * Shy * Shx * C^-1, the convention of torchvision's affine.
 *
 * @example
 *   const m = affineMatrix({ angle: 15, translate: [4, 0], scale: 1.1 });
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

/**
 * Rotation by `degrees` about the image centre (counter-clockwise), as torchvision's rotate.
 *
 * @example
 *   warpAffine(batch, [rotationMatrix(30)]);
 */
export function rotationMatrix(degrees: number): number[] {
  // torchvision's rotate negates the angle relative to its affine.
  return affineMatrix({ angle: -degrees });
}

/**
 * torchvision's `rescaled_theta` per image: theta (the inverse matrix in float32),
 * transposed to 3x2 and divided by [w / 2, h / 2], all in float32.
 *
 * @example
 *   rescaledTheta([rotationMatrix(30)], 224, 224); // Float32Array(6)
 */
export function rescaledTheta(matrices: readonly number[][], h: number, w: number): Float32Array {
  const out = new Float32Array(matrices.length * 6);
  const half = [Math.fround(0.5 * w), Math.fround(0.5 * h)];
  matrices.forEach((m, k) => {
    if (m.length !== 6) throw new RangeError(`warpAffine: a matrix has 6 numbers, got ${m.length}`);
    const t = m.map(Math.fround); // [[a, b, c], [d, e, f]]
    // Row r of the 3x2 result is column r of theta: (a, d), (b, e), (c, f).
    for (let r = 0; r < 3; r++) {
      out[k * 6 + r * 2] = Math.fround(t[r]! / half[0]!);
      out[k * 6 + r * 2 + 1] = Math.fround(t[3 + r]! / half[1]!);
    }
  });
  return out;
}

/**
 * Warps each image by its inverse matrix (from `affineMatrix`), nearest neighbour; pixels
 * sampled from outside the image get `fill` (one value or one per channel, default 0).
 * The native kernel evaluates torchvision's float32 grid formula per pixel and copies
 * whole uint8 pixels (no float image, no grid tensor: ~10x cheaper than ATen's route).
 *
 * @example
 *   const y = warpAffine(batch, [rotationMatrix(30), affineMatrix({ translate: [5, 0] })], 0);
 */
export function warpAffine(x: Tensor, matrices: readonly number[][], fill?: number | readonly number[]): Tensor {
  checkImageBatch(x, 'warpAffine');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (matrices.length !== n) throw new RangeError(`warpAffine: ${n} images but ${matrices.length} matrices`);
  const fills = fill === undefined ? null : typeof fill === 'number' ? new Array<number>(c).fill(fill) : [...fill];
  if (fills && fills.length !== c) throw new RangeError(`warpAffine: ${c} channels but ${fills.length} fill values`);
  return warpAffineNearestU8(x, rescaledTheta(matrices, h, w), fills);
}

/**
 * warpAffine for the listed images of x, written into the same images of `out`.
 *
 * @example
 *   warpAffineInto(batch, out, [3], [rotationMatrix(10)]);
 */
export function warpAffineInto(x: Tensor, out: Tensor, images: readonly number[], matrices: readonly number[][], fill?: number | readonly number[]): void {
  checkImageBatch(x, 'warpAffineInto');
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (matrices.length !== images.length) throw new RangeError(`warpAffineInto: ${images.length} images but ${matrices.length} matrices`);
  const fills = fill === undefined ? null : typeof fill === 'number' ? new Array<number>(c).fill(fill) : [...fill];
  if (fills && fills.length !== c) throw new RangeError(`warpAffineInto: ${c} channels but ${fills.length} fill values`);
  warpAffineNearestU8Into(x, rescaledTheta(matrices, h, w), fills, out, images);
}
