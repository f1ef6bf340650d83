/**
 * Value tables (256 bytes: v -> out) for the colour ops that are per-pixel lookups, with
 * torchvision's float32 arithmetic and truncation: brightness, contrast (given the image's
 * gray mean), posterize, solarize, invert, autocontrast and equalize (given the channel's
 * histogram). Shared by the single-op functions (color-ops.ts) and `applyOps`, which
 * folds every lookup op of a round into one pass over the batch. Tables that depend only
 * on the op's parameter are cached (a batch draws the same few magnitudes again and again).
 *
 * @example
 *   const t = solarizeMap(128);   t[200] === 55;  t[100] === 100
 */
import { saturateTrunc } from './lut.js';

/** out = table[v] for v in 0..255. */
export type ValueMap = Uint8Array;

const cache = new Map<string, ValueMap>();

/** The table of f, computed once per key. */
function cached(key: string, f: (v: number) => number): ValueMap {
  let t = cache.get(key);
  if (!t) {
    t = Uint8Array.from({ length: 256 }, (_, v) => f(v));
    if (cache.size > 4096) cache.clear();
    cache.set(key, t);
  }
  return t;
}

function table(f: (v: number) => number): ValueMap {
  return Uint8Array.from({ length: 256 }, (_, v) => f(v));
}

const f32 = Math.fround;

/**
 * torchvision's `_blend(img, other, ratio)` for one value: float32 throughout, truncated.
 *
 * @example
 *   blendValue(200, 0, 0.5); // 100
 */
export function blendValue(v: number, other: number, ratio: number): number {
  return saturateTrunc(f32(f32(f32(ratio) * v) + f32(f32(1 - ratio) * other)));
}

/** The table that leaves every value as it is (the op at magnitude 0). */
export const identityMap: ValueMap = table((v) => v);

/** The table of Invert: v -> 255 - v. */
export const invertMap: ValueMap = table((v) => 255 - v);

/**
 * Keeps the top `bits` bits (0..8).
 *
 * @example
 *   posterizeMap(4)[0xff]; // 0xf0
 */
export function posterizeMap(bits: number): ValueMap {
  const mask = (0xff << (8 - bits)) & 0xff;
  return cached(`posterize ${bits}`, (v) => v & mask);
}

/**
 * Inverts values >= threshold (compared in float32, as torch compares uint8 with a float).
 *
 * @example
 *   solarizeMap(128)[200]; // 55
 */
export function solarizeMap(threshold: number): ValueMap {
  const t = f32(threshold);
  return cached(`solarize ${t}`, (v) => (v >= t ? 255 - v : v));
}

/**
 * Blend with black.
 *
 * @example
 *   brightnessMap(0.5)[200]; // 100
 */
export function brightnessMap(factor: number): ValueMap {
  return cached(`brightness ${factor}`, (v) => blendValue(v, 0, factor));
}

/**
 * Blend with the image's mean gray level (a float32, as torchvision's mean).
 *
 * @example
 *   contrastMap(0, 117.5)[30]; // 117
 */
export function contrastMap(factor: number, grayMean: number): ValueMap {
  return table((v) => blendValue(v, grayMean, factor));
}

/**
 * Stretch a channel to 0..255 from its histogram (a one-value channel is left alone).
 *
 * @example
 *   const t = autocontrastMap(hist); // hist: the channel's 256 counts
 */
export function autocontrastMap(hist: Int32Array): ValueMap {
  let lo = 0;
  while (lo < 255 && hist[lo] === 0) lo++;
  let hi = 255;
  while (hi > 0 && hist[hi] === 0) hi--;
  // torch evaluates `255.0 / tensor` as reciprocal(tensor) * 255 (Tensor.__rtruediv__).
  const scale = f32(f32(1 / (hi - lo)) * 255);
  if (!Number.isFinite(scale)) return identityMap;
  return table((v) => saturateTrunc(f32(f32(v - lo) * scale)));
}

/**
 * Histogram equalisation of a channel, as PIL's ImageOps.equalize and torchvision.
 *
 * @example
 *   const t = equalizeMap(hist); // hist: the channel's 256 counts
 */
export function equalizeMap(hist: Int32Array): ValueMap {
  let last = 255;
  while (last > 0 && hist[last] === 0) last--;
  let total = 0; // all counts but the last non-empty bin's
  for (let v = 0; v < last; v++) total += hist[v]!;
  const step = Math.floor(total / 255);
  if (step === 0) return identityMap;
  const lut = new Uint8Array(256);
  let cum = 0;
  for (let v = 0; v < 255; v++) {
    cum += hist[v]!;
    lut[v + 1] = Math.min(255, Math.floor((cum + Math.floor(step / 2)) / step));
  }
  return lut;
}
