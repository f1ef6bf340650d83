/**
 * ColorJitter as torchvision's: per image, brightness, contrast, saturation and hue
 * factors drawn uniformly from their ranges and applied in a random order.
 *
 * @example
 *   compose([randomResizedCrop(224), colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }), normalize()]);
 */
import type { PixelTransform } from '../transforms/transform.js';
import { adjustBrightness, adjustContrast, adjustSaturation } from './color-ops.js';
import { adjustHue } from './hue.js';
import { onSubset } from './ops.js';

/**
 * Ranges of `colorJitter`'s factors, as torchvision's ColorJitter takes them; an omitted or 0 entry
 * leaves that property alone.
 */
export interface ColorJitterOptions {
  /** f: factor in [max(0, 1 - f), 1 + f]; or an explicit [min, max]. */
  brightness?: number | readonly [number, number];
  /** f: contrast factor in [max(0, 1 - f), 1 + f] (0 is a flat gray image); or an explicit [min, max]. */
  contrast?: number | readonly [number, number];
  /** f: saturation factor in [max(0, 1 - f), 1 + f] (0 is grayscale); or an explicit [min, max]. */
  saturation?: number | readonly [number, number];
  /** h: shift in [-h, h] (h <= 0.5); or [min, max]. */
  hue?: number | readonly [number, number];
}

function range(v: number | readonly [number, number] | undefined, centre: number, what: string): [number, number] | null {
  if (v === undefined || v === 0) return null;
  if (typeof v !== 'number') return [v[0], v[1]];
  if (v < 0) throw new RangeError(`colorJitter: ${what} must be non-negative, got ${v}`);
  return centre === 0 ? [-v, v] : [Math.max(0, centre - v), centre + v];
}

/**
 * Random brightness, contrast, saturation and hue per image, in a random order.
 *
 * @example
 *   colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })
 */
export function colorJitter(options: ColorJitterOptions): PixelTransform {
  const ranges = [
    range(options.brightness, 1, 'brightness'),
    range(options.contrast, 1, 'contrast'),
    range(options.saturation, 1, 'saturation'),
    range(options.hue, 0, 'hue'),
  ];
  const ops = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
  return {
    stage: 'pixel',
    name: 'colorJitter',
    apply(x, ctxs) {
      const plans = ctxs.map(({ rng }) => {
        const order = rng.permutation(4);
        const factors = ranges.map((r) => (r ? rng.uniform(r[0], r[1]) : null));
        return order.map((k) => ({ k, f: factors[k] }));
      });
      const out = x.clone('contiguous');
      try {
        for (let slot = 0; slot < 4; slot++) {
          for (let k = 0; k < 4; k++) {
            const idx = plans.flatMap((p, i) => (p[slot]!.k === k && p[slot]!.f !== null ? [i] : []));
            if (idx.length)
              onSubset(out, idx, (sub) =>
                ops[k]!(
                  sub,
                  idx.map((i) => plans[i]![slot]!.f!),
                ),
              );
          }
        }
      } catch (e) {
        out.dispose();
        throw e;
      }
      return out;
    },
  };
}
