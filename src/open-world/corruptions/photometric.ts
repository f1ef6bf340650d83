/**
 * Photometric corruptions, ImageNet-C's formulas (Hendrycks & Dietterich 2019,
 * github.com/hendrycks/robustness, imagenet_c/corruptions.py) and one of ours:
 * - brightness (over-exposure): V of HSV + c, c = .1 .2 .3 .4 .5. Keeping H and S, HSV→RGB is
 *   linear in V, so RGB scales by V'/V (black pixels, S = 0, become gray V');
 * - contrast: (x − per-channel mean) · c + mean, c = .4 .3 .2 .1 .05;
 * - gaussian_noise: x + N(0, c²), c = .08 .12 .18 .26 .38 (seeded);
 * - dark (under-exposure; ImageNet-C has none): exposure cut by s stops in linear light,
 *   s = 1, 1.5, 2, 2.5, 3 (sRGB decoded, multiplied by 2^−s, encoded again).
 * Images are [0, 1] floats here; results are clipped to [0, 1].
 *
 * @example
 *   const y = brightness(f, 3); // severity 3: V + 0.3
 */
import type { Rng } from '../../data/random.js';

export const BRIGHTNESS = [0.1, 0.2, 0.3, 0.4, 0.5];
export const CONTRAST = [0.4, 0.3, 0.2, 0.1, 0.05];
export const GAUSSIAN_NOISE = [0.08, 0.12, 0.18, 0.26, 0.38];
export const DARK_STOPS = [1, 1.5, 2, 2.5, 3];

const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

export function brightness(f: Float32Array, severity: number): Float32Array {
  const c = BRIGHTNESS[severity - 1]!;
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i += 3) {
    const v = Math.max(f[i]!, f[i + 1]!, f[i + 2]!);
    const v2 = clip(v + c);
    if (v === 0) {
      out[i] = out[i + 1] = out[i + 2] = v2;
    } else {
      const k = v2 / v;
      for (let j = 0; j < 3; j++) out[i + j] = clip(f[i + j]! * k);
    }
  }
  return out;
}

export function contrast(f: Float32Array, severity: number): Float32Array {
  const c = CONTRAST[severity - 1]!;
  const n = f.length / 3;
  const mean = [0, 0, 0];
  for (let i = 0; i < f.length; i++) mean[i % 3]! += f[i]!;
  for (let j = 0; j < 3; j++) mean[j]! /= n;
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = clip((f[i]! - mean[i % 3]!) * c + mean[i % 3]!);
  return out;
}

export function gaussianNoise(f: Float32Array, severity: number, rng: Rng): Float32Array {
  const c = GAUSSIAN_NOISE[severity - 1]!;
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = clip(f[i]! + c * rng.normal());
  return out;
}

const toLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const toSrgb = (v: number) => (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);

export function dark(f: Float32Array, severity: number): Float32Array {
  const k = 2 ** -DARK_STOPS[severity - 1]!;
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = clip(toSrgb(toLinear(f[i]!) * k));
  return out;
}
