/**
 * RandomErasing (Zhong et al. 2020) on normalized float batches, as torchvision's: with
 * probability p, up to ten tries for a rectangle of area share in `scale` and aspect ratio
 * (log-uniform) in `ratio` that fits, filled with `value` (0, a per-channel list, or
 * 'random' for standard-normal noise).
 *
 * @example
 *   compose([randomResizedCrop(224), normalize(), randomErasing({ p: 0.25 })]);
 */
import { randn, scope } from '../../tensor/index.js';
import { roundHalfEven } from '../transforms/geometry.js';
import type { FloatTransform } from '../transforms/transform.js';
import type { Rng } from '../random.js';

/** Options of `randomErasing`, with torchvision's defaults. */
export interface RandomErasingOptions {
  /** Probability that an image gets a rectangle erased (default 0.5). */
  p?: number;
  /** Range of the rectangle's area as a share of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the rectangle's aspect ratio height / width, drawn log-uniformly (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /**
   * What fills the rectangle, in normalized units: a number (default 0, the dataset mean after
   * `normalize()`), one per channel, or 'random' for standard-normal noise.
   */
  value?: number | readonly number[] | 'random';
}

/**
 * (top, left, h, w) of the rectangle, or null when no try fits (torchvision then erases nothing).
 *
 * @example
 *   const box = erasingBox(224, 224, rng, [0.02, 0.33], [0.3, 3.3]); // or null
 */
export function erasingBox(
  height: number,
  width: number,
  rng: Rng,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): [number, number, number, number] | null {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const h = roundHalfEven(Math.sqrt(target * aspect));
    const w = roundHalfEven(Math.sqrt(target / aspect));
    if (!(h < height && w < width)) continue;
    return [rng.int(height - h + 1), rng.int(width - w + 1), h, w];
  }
  return null;
}

/**
 * Erases a random rectangle of each image with probability p (after normalisation).
 *
 * @example
 *   compose([randomResizedCrop(224), normalize(), randomErasing({ p: 0.25 })])
 */
export function randomErasing(options: RandomErasingOptions = {}): FloatTransform {
  const p = options.p ?? 0.5;
  const scale = options.scale ?? [0.02, 0.33];
  const ratio = options.ratio ?? [0.3, 3.3];
  const value = options.value ?? 0;
  return {
    stage: 'float',
    name: `randomErasing(${p})`,
    apply(x, ctxs) {
      const out = x.clone('contiguous');
      const [, c, h, w] = x.shape as [number, number, number, number];
      ctxs.forEach(({ rng }, i) => {
        if (!(rng.next() < p)) return;
        const box = erasingBox(h, w, rng, scale, ratio);
        if (!box) return;
        const [top, left, bh, bw] = box;
        scope(() => {
          const region = out.select(0, i).narrow(1, top, bh).narrow(2, left, bw);
          if (value === 'random') region.copy_(randn([c, bh, bw]));
          else if (typeof value === 'number') region.fill_(value);
          else value.forEach((v, k) => region.select(0, k).fill_(v));
        });
      });
      return out;
    },
  };
}
