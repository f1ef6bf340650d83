/**
 * The corruption suite in the style of ImageNet-C (Hendrycks & Dietterich 2019): nine
 * corruptions at severities 1–5, each a deterministic function of (image, severity, seed).
 * Parameters and sources: photometric.ts, blur.ts, digital.ts.
 *
 * @example
 *   const y = await corrupt(img, 'motion_blur', 3, { seed: 0, key: 'img-17' });
 */
import type { RgbImage } from '../image.js';
import { Rng } from '../random.js';
import { defocusBlur, gaussianBlur, motionBlur } from './blur.js';
import { jpeg, pixelate } from './digital.js';
import { toFloat, toRgb } from './image-float.js';
import { brightness, contrast, dark, gaussianNoise } from './photometric.js';

export const CORRUPTIONS = ['brightness', 'dark', 'contrast', 'gaussian_blur', 'defocus_blur', 'motion_blur', 'gaussian_noise', 'jpeg', 'pixelate'] as const;
export type CorruptionName = (typeof CORRUPTIONS)[number];

export const SEVERITIES = [1, 2, 3, 4, 5] as const;

/** The quality issue (src/open-world/quality.ts) a corruption should raise. */
export const CORRUPTION_ISSUE: Record<
  CorruptionName,
  'dark' | 'overexposed' | 'blurry' | 'low_contrast' | 'noisy' | 'compression_artifacts' | 'low_resolution'
> = {
  brightness: 'overexposed',
  dark: 'dark',
  contrast: 'low_contrast',
  gaussian_blur: 'blurry',
  defocus_blur: 'blurry',
  motion_blur: 'blurry',
  gaussian_noise: 'noisy',
  jpeg: 'compression_artifacts',
  pixelate: 'low_resolution',
};

export function isCorruptionName(s: string): s is CorruptionName {
  return (CORRUPTIONS as readonly string[]).includes(s);
}

export interface CorruptOptions {
  /** Seed of the random parts (noise, motion direction). */
  seed?: number;
  /** Per-image key mixed into the seed (e.g. its path), so images differ but runs repeat. */
  key?: string | number;
}

export async function corrupt(img: RgbImage, name: CorruptionName, severity: number, options: CorruptOptions = {}): Promise<RgbImage> {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new RangeError(`severity must be 1 to 5, got ${severity}`);
  if (name === 'jpeg') return jpeg(img, severity);
  return corruptSync(img, name, severity, new Rng(options.seed ?? 0, 'corruption', name, severity, options.key ?? 0));
}

/** The corruptions that need no encoder, synchronously (training-time augmentation). */
export type SyncCorruptionName = Exclude<CorruptionName, 'jpeg'>;
export const SYNC_CORRUPTIONS = CORRUPTIONS.filter((c): c is SyncCorruptionName => c !== 'jpeg');

export function corruptSync(img: RgbImage, name: SyncCorruptionName, severity: number, rng: Rng): RgbImage {
  const { width, height } = img;
  switch (name) {
    case 'pixelate':
      return pixelate(img, severity);
    case 'brightness':
      return toRgb(brightness(toFloat(img), severity), width, height);
    case 'dark':
      return toRgb(dark(toFloat(img), severity), width, height);
    case 'contrast':
      return toRgb(contrast(toFloat(img), severity), width, height);
    case 'gaussian_noise':
      return toRgb(gaussianNoise(toFloat(img), severity, rng), width, height);
    case 'gaussian_blur':
      return toRgb(gaussianBlur(toFloat(img), width, height, severity), width, height);
    case 'defocus_blur':
      return toRgb(defocusBlur(toFloat(img), width, height, severity), width, height);
    case 'motion_blur':
      return toRgb(motionBlur(toFloat(img), width, height, severity, rng), width, height);
  }
}
