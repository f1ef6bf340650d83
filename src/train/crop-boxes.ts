/**
 * Choosing crop boxes from attention maps.
 *
 * - `attentionRegionCrop` is the seed article's own method: binarise the attention map with
 *   threshold T, draw N random w x h boxes, keep the one covering the most above-threshold
 *   pixels. Scattered discriminative regions (sorghum panicles) are not thrown away, unlike
 *   a single connected component.
 * - `scdaCrop` is the SCDA baseline (Wei et al. 2017): threshold at the map's mean, keep the
 *   largest connected component, crop its bounding box.
 *
 * Boxes are fractions of the image (x, y, width, height in [0, 1]) so they apply at any resolution.
 */
import type { Box } from '../data/datasets/dataset.js';
import type { Rng } from '../data/random.js';

export type { Box };

/** One attention map: row-major values in [0, 1]. */
export interface AttentionMap {
  /** width * height values, row by row from the top. */
  data: Float32Array;
  /** Columns of the map (the feature map's width, not the image's). */
  width: number;
  /** Rows of the map. */
  height: number;
}

/** Options of `attentionRegionCrop`: the threshold, how many candidate boxes, and their size. */
export interface AttentionCropOptions {
  /** Binarisation threshold T on the [0, 1] map (default 0.5). */
  threshold?: number;
  /** Number of random candidate boxes N (default 50). */
  candidates?: number;
  /** Box size as fractions of the image width and height (default 0.6 x 0.6). */
  cropSize?: [number, number];
}

/** Summed-area table of the binarised map: count of white pixels in any box in O(1). */
function integral(map: AttentionMap, threshold: number): Int32Array {
  const { width: W, height: H, data } = map;
  const s = new Int32Array((W + 1) * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += data[y * W + x]! > threshold ? 1 : 0;
      s[(y + 1) * (W + 1) + x + 1] = s[y * (W + 1) + x + 1]! + row;
    }
  }
  return s;
}

function boxCount(s: Int32Array, W: number, x0: number, y0: number, x1: number, y1: number): number {
  const w = W + 1;
  return s[y1 * w + x1]! - s[y0 * w + x1]! - s[y1 * w + x0]! + s[y0 * w + x0]!;
}

/** The seed's attention-region random crop for one map; returns the box and its white-pixel count. */
export function attentionRegionCrop(
  map: AttentionMap,
  rng: Rng,
  options: AttentionCropOptions = {},
): Box & {
  /** How many map cells above the threshold the chosen box covers. */
  white: number;
} {
  const threshold = options.threshold ?? 0.5;
  const candidates = options.candidates ?? 50;
  const [fw, fh] = options.cropSize ?? [0.6, 0.6];
  if (!(fw > 0 && fw <= 1 && fh > 0 && fh <= 1)) throw new RangeError(`cropSize must be fractions in (0, 1], got ${fw} x ${fh}`);
  if (!(candidates >= 1)) throw new RangeError(`candidates must be at least 1, got ${candidates}`);
  const { width: W, height: H } = map;
  const s = integral(map, threshold);
  const cw = Math.max(1, Math.round(fw * W));
  const ch = Math.max(1, Math.round(fh * H));
  let best = { x: 0, y: 0, white: -1 };
  for (let i = 0; i < candidates; i++) {
    const x = Math.floor(rng.next() * (W - cw + 1));
    const y = Math.floor(rng.next() * (H - ch + 1));
    const white = boxCount(s, W, x, y, x + cw, y + ch);
    if (white > best.white) best = { x, y, white };
  }
  return { x: best.x / W, y: best.y / H, width: cw / W, height: ch / H, white: best.white };
}

/** SCDA: bounding box of the largest 8-connected component above the map's mean. */
export function scdaCrop(map: AttentionMap): Box {
  const { width: W, height: H, data } = map;
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i]!;
  mean /= data.length;
  const label = new Int32Array(W * H).fill(-1);
  const stack: number[] = [];
  let best = { size: 0, x0: 0, y0: 0, x1: W, y1: H };
  let next = 0;
  for (let start = 0; start < W * H; start++) {
    if (label[start] !== -1 || data[start]! <= mean) continue;
    const id = next++;
    let size = 0;
    let x0 = W,
      y0 = H,
      x1 = 0,
      y1 = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % W;
      const py = (p - px) / W;
      size++;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const qx = px + dx;
          const qy = py + dy;
          if (qx < 0 || qy < 0 || qx >= W || qy >= H) continue;
          const q = qy * W + qx;
          if (label[q] === -1 && data[q]! > mean) {
            label[q] = id;
            stack.push(q);
          }
        }
      }
    }
    if (size > best.size) best = { size, x0, y0, x1: x1 + 1, y1: y1 + 1 };
  }
  if (best.size === 0) return { x: 0, y: 0, width: 1, height: 1 }; // a flat map: keep the whole image
  return { x: best.x0 / W, y: best.y0 / H, width: (best.x1 - best.x0) / W, height: (best.y1 - best.y0) / H };
}
