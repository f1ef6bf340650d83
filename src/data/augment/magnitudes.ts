/**
 * The augmentation spaces of AutoAugment, RandAugment and TrivialAugmentWide: for each op
 * its magnitude bins and whether a random sign applies, with torchvision 0.14's ranges.
 * Bins come from ATen's own `linspace` (float32), so a bin is bit-for-bit the value
 * torchvision hands to its ops.
 *
 * @example
 *   const space = augmentationSpace('rand', 31, 224, 224);
 *   space.get('Rotate'); // { magnitudes: [0, 1, ..., 30], signed: true }
 */
import { arange, linspace, scope } from '../../tensor/index.js';
import type { AugmentOp } from './ops.js';

/** One op's entry in an augmentation space: its magnitude per bin and whether the magnitude is negated at random. */
export interface OpSpace {
  /** Magnitude per bin; null for ops without a magnitude (they get 0). */
  readonly magnitudes: readonly number[] | null;
  /** Whether the magnitude is negated with probability 1/2 (rotations, shears, translations, colour factors). */
  readonly signed: boolean;
}

/**
 * Which augmentation's ranges `augmentationSpace` returns: AutoAugment's ('auto'), RandAugment's
 * ('rand') or TrivialAugmentWide's wider ones ('trivial').
 */
export type SpaceKind = 'auto' | 'rand' | 'trivial';

const cache = new Map<string, ReadonlyMap<AugmentOp, OpSpace>>();

function bins(start: number, end: number, n: number): number[] {
  return scope(() => Array.from(linspace(start, end, n).toTypedArray() as Float32Array));
}

function posterizeBits(n: number, span: number): number[] {
  // 8 - (arange(n) / ((n - 1) / span)).round().int(), in float32 as torchvision computes it.
  return scope(() =>
    Array.from(
      arange(n)
        .div((n - 1) / span)
        .round()
        .toTypedArray() as Float32Array,
      (v) => 8 - v,
    ),
  );
}

/**
 * The ops in torchvision's order (RandAugment and TrivialAugment draw an index into it).
 * AutoAugment's space has Invert and no Identity; the other two the reverse.
 *
 * @example
 *   augmentationSpace('auto', 10, 224, 224).get('Solarize'); // { magnitudes: [255, ..., 0], signed: false }
 */
export function augmentationSpace(kind: SpaceKind, numBins: number, height: number, width: number): ReadonlyMap<AugmentOp, OpSpace> {
  const key = `${kind}/${numBins}/${kind === 'trivial' ? '' : `${height}x${width}`}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const s = new Map<AugmentOp, OpSpace>();
  const none: OpSpace = { magnitudes: null, signed: false };
  const wide = kind === 'trivial';
  if (kind !== 'auto') s.set('Identity', none);
  s.set('ShearX', { magnitudes: bins(0, wide ? 0.99 : 0.3, numBins), signed: true });
  s.set('ShearY', { magnitudes: bins(0, wide ? 0.99 : 0.3, numBins), signed: true });
  s.set('TranslateX', { magnitudes: bins(0, wide ? 32 : (150 / 331) * width, numBins), signed: true });
  s.set('TranslateY', { magnitudes: bins(0, wide ? 32 : (150 / 331) * height, numBins), signed: true });
  s.set('Rotate', { magnitudes: bins(0, wide ? 135 : 30, numBins), signed: true });
  for (const op of ['Brightness', 'Color', 'Contrast', 'Sharpness'] as const) s.set(op, { magnitudes: bins(0, wide ? 0.99 : 0.9, numBins), signed: true });
  s.set('Posterize', { magnitudes: posterizeBits(numBins, wide ? 6 : 4), signed: false });
  s.set('Solarize', { magnitudes: bins(255, 0, numBins), signed: false });
  s.set('AutoContrast', none);
  s.set('Equalize', none);
  if (kind === 'auto') s.set('Invert', none);
  cache.set(key, s);
  return s;
}
