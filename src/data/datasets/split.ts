/**
 * Seeded stratified train/validation split: within every class, a fixed fraction goes to
 * validation, so rare classes are represented on both sides (a plain random split can
 * leave a long-tail class out of validation entirely). Same seed, same split.
 *
 * @example
 *   const { train, val } = stratifiedSplit(cubDataset(root), { valFraction: 0.1, seed: 0 });
 */
import { Rng } from '../random.js';
import type { ImageDataset, Sample } from './dataset.js';

/** Options of `stratifiedSplit`. */
export interface SplitOptions {
  /** Share of each class that goes to validation (default 0.1). */
  valFraction?: number;
  /** Seed of the shuffle within each class (default 0): the same seed gives the same split. */
  seed?: number;
  /** Keep at least one image of every class with >= 2 images in each side (default true). */
  keepEachClass?: boolean;
}

/**
 * Splits every class by the same fraction, reproducibly from the seed.
 *
 * @example
 *   const { train, val } = stratifiedSplit(ds, { valFraction: 0.1, seed: 0 });
 */
export function stratifiedSplit(
  ds: ImageDataset,
  options: SplitOptions = {},
): {
  /** The images left for training, with the dataset's classes. */
  train: ImageDataset;
  /** The images held out for validation, with the dataset's classes. */
  val: ImageDataset;
} {
  const frac = options.valFraction ?? 0.1;
  if (!(frac >= 0 && frac < 1)) throw new RangeError(`stratifiedSplit: valFraction must be in [0, 1), got ${frac}`);
  const seed = options.seed ?? 0;
  const byClass = new Map<number, number[]>();
  ds.samples.forEach((s, i) => {
    const list = byClass.get(s.label) ?? [];
    list.push(i);
    byClass.set(s.label, list);
  });
  const isVal = new Uint8Array(ds.samples.length);
  for (const [label, idx] of byClass) {
    const rng = Rng.derive(seed, 'stratified-split', label);
    rng.shuffle(idx);
    let k = Math.round(idx.length * frac);
    if ((options.keepEachClass ?? true) && frac > 0 && idx.length >= 2) k = Math.min(Math.max(k, 1), idx.length - 1);
    for (const i of idx.slice(0, k)) isVal[i] = 1;
  }
  // Keep the original order inside each side: readers sort paths, results stay readable.
  const train: Sample[] = [];
  const val: Sample[] = [];
  ds.samples.forEach((s, i) => (isVal[i] ? val : train).push(s));
  return {
    train: { ...ds, samples: train, source: `${ds.source} [train split]` },
    val: { ...ds, samples: val, source: `${ds.source} [val split]` },
  };
}
