/**
 * AutoAugment, RandAugment and TrivialAugmentWide as batch pixel transforms. Each image
 * draws its own choices, with the same structure as torchvision 0.14's forward():
 * - AutoAugment: a sub-policy uniformly; each of its two steps runs if U[0,1) <= p, with
 *   the step's magnitude bin, negated with probability 1/2 for signed ops.
 * - RandAugment: `numOps` ops drawn uniformly (Identity included, Invert not), all at bin
 *   `magnitude` of `numMagnitudeBins`, random sign.
 * - TrivialAugmentWide: one op, one uniformly drawn bin of the wide ranges, random sign.
 * The draws come from the image's Rng, not torch's generator: same distribution,
 * reproducible under finegrain's seed. Images sharing an op are processed together.
 *
 * @example
 *   compose([randomResizedCrop(224), randomHorizontalFlip(), autoAugment('imagenet'), normalize()]);
 *   compose([randomResizedCrop(224), randAugment({ numOps: 2, magnitude: 9 }), normalize()]);
 */
import type { Tensor } from '../../tensor/index.js';
import type { PixelTransform, SampleContext } from '../transforms/transform.js';
import { augmentationSpace, type OpSpace, type SpaceKind } from './magnitudes.js';
import { applyOps, type AugmentOp, type OpChoice } from './ops.js';
import { AUTO_AUGMENT_POLICIES, type AutoAugmentPolicy } from './policies.js';

/** Options shared by `autoAugment`, `randAugment` and `trivialAugmentWide`. */
export interface AugmentOptions {
  /** Colour for pixels that geometric ops bring in from outside (default 0, as torchvision's fill=None). */
  fill?: number | readonly number[];
}

function signed(space: OpSpace, magnitude: number, ctx: SampleContext, negateOn: 0 | 1): number {
  return space.signed && ctx.rng.int(2) === negateOn ? -magnitude : magnitude;
}

/** Runs `rounds` rounds of per-image choices (null = no op for that image in that round). */
function runRounds(x: Tensor, rounds: (OpChoice | null)[][], fill: AugmentOptions['fill']): Tensor {
  let cur = x;
  for (const choices of rounds) {
    if (!choices.some((c) => c && c.op !== 'Identity')) continue;
    const next = applyOps(cur, choices, fill);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur === x ? x.clone() : cur;
}

/**
 * AutoAugment with a published policy (default ImageNet).
 *
 * @example
 *   compose([randomResizedCrop(224), autoAugment('imagenet'), normalize()])
 */
export function autoAugment(policy: AutoAugmentPolicy = 'imagenet', options: AugmentOptions = {}): PixelTransform {
  const subs = AUTO_AUGMENT_POLICIES[policy];
  if (!subs) throw new RangeError(`autoAugment: unknown policy ${policy} (imagenet, cifar10, svhn)`);
  return {
    stage: 'pixel',
    name: `autoAugment(${policy})`,
    apply(x, ctxs) {
      const [, , h, w] = x.shape as [number, number, number, number];
      const space = augmentationSpace('auto', 10, h, w);
      const rounds: (OpChoice | null)[][] = [[], []];
      for (const ctx of ctxs) {
        const sub = subs[ctx.rng.int(subs.length)]!;
        const probs = [ctx.rng.next(), ctx.rng.next()];
        const signs = [ctx.rng.int(2), ctx.rng.int(2)];
        sub.forEach(([op, p, bin], k) => {
          if (!(probs[k]! <= p)) return rounds[k]!.push(null);
          const s = space.get(op)!;
          let m = bin !== null && s.magnitudes ? s.magnitudes[bin]! : 0;
          if (s.signed && signs[k] === 0) m = -m;
          rounds[k]!.push({ op, magnitude: m });
        });
      }
      return runRounds(x, rounds, options.fill);
    },
  };
}

/** Options of `randAugment`; the defaults are torchvision's (2 ops at bin 9 of 31). */
export interface RandAugmentOptions extends AugmentOptions {
  /** How many ops each image goes through, one after the other (default 2). */
  numOps?: number;
  /** Bin index into the magnitude range (default 9 of 31). */
  magnitude?: number;
  /** How many steps the magnitude ranges are divided into (default 31); `magnitude` picks one. */
  numMagnitudeBins?: number;
}

/**
 * RandAugment (Cubuk et al. 2020): numOps uniformly drawn ops at one shared magnitude.
 *
 * @example
 *   compose([randomResizedCrop(224), randAugment({ numOps: 2, magnitude: 9 }), normalize()])
 */
export function randAugment(options: RandAugmentOptions = {}): PixelTransform {
  const numOps = options.numOps ?? 2;
  const magnitude = options.magnitude ?? 9;
  const bins = options.numMagnitudeBins ?? 31;
  if (!(magnitude >= 0 && magnitude < bins)) throw new RangeError(`randAugment: magnitude must be a bin in [0, ${bins}), got ${magnitude}`);
  return {
    stage: 'pixel',
    name: `randAugment(${numOps}, ${magnitude}/${bins})`,
    apply(x, ctxs) {
      const [, , h, w] = x.shape as [number, number, number, number];
      const space = augmentationSpace('rand', bins, h, w);
      const ops = [...space.keys()];
      const rounds: OpChoice[][] = Array.from({ length: numOps }, () => []);
      for (const ctx of ctxs) {
        for (let k = 0; k < numOps; k++) {
          const op = ops[ctx.rng.int(ops.length)]!;
          const s = space.get(op)!;
          const m = s.magnitudes ? s.magnitudes[magnitude]! : 0;
          rounds[k]!.push({ op, magnitude: signed(s, m, ctx, 1) });
        }
      }
      return runRounds(x, rounds, options.fill);
    },
  };
}

/**
 * TrivialAugmentWide (Müller & Hutter 2021): one op, one random magnitude, per image.
 *
 * @example
 *   compose([randomResizedCrop(224), trivialAugmentWide(), normalize()])
 */
export function trivialAugmentWide(options: AugmentOptions & { numMagnitudeBins?: number } = {}): PixelTransform {
  const bins = options.numMagnitudeBins ?? 31;
  return {
    stage: 'pixel',
    name: `trivialAugmentWide(${bins})`,
    apply(x, ctxs) {
      const space = augmentationSpace('trivial' as SpaceKind, bins, 0, 0);
      const ops = [...space.keys()];
      const round: OpChoice[] = ctxs.map((ctx) => {
        const op: AugmentOp = ops[ctx.rng.int(ops.length)]!;
        const s = space.get(op)!;
        const m = s.magnitudes ? s.magnitudes[ctx.rng.int(s.magnitudes.length)]! : 0;
        return { op, magnitude: signed(s, m, ctx, 1) };
      });
      return runRounds(x, [round], options.fill);
    },
  };
}
