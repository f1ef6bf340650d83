/**
 * What the planner knows about a training set before it trains: how many images and classes,
 * how many images the rarest and the typical class have, and the photos' own resolution (the
 * median geometric side √(width·height) of a seeded sample, read from the file headers only).
 * The recipe and the resolution schedule scale with these.
 *
 * @example
 *   const facts = await describeTrainingData(data.train);
 *   facts.medianSide; // e.g. 417 for cars33's 512 × 340 photos
 */
import type { ImageDataset } from '../../data/datasets/dataset.js';
import { Rng } from '../../data/random.js';
import { sharp } from '../../data/decode/sharp.js';

export interface DataFacts {
  /** Training images. */
  images: number;
  /** Classes. */
  classes: number;
  /** Training images of the rarest class. */
  minPerClass: number;
  /** Training images of the median class. */
  medianPerClass: number;
  /** Median of √(width·height) over a sample of the photos, in pixels (NaN when none could be read). */
  medianSide: number;
}

const SIDE_SAMPLE = 48;

function median(values: number[]): number {
  if (!values.length) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Counts and the photos' median side; unreadable files in the sample are passed over (the loader reports them). */
export async function describeTrainingData(train: ImageDataset, seed = 0): Promise<DataFacts> {
  const counts = new Array<number>(train.classes.length).fill(0);
  for (const s of train.samples) if (s.label >= 0) counts[s.label]!++;
  const nonEmpty = counts.filter((c) => c > 0);
  const rng = new Rng(seed, 'data-facts');
  const order = train.samples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sides: number[] = [];
  for (const i of order.slice(0, SIDE_SAMPLE)) {
    try {
      const { width, height } = await sharp(train.samples[i]!.path).metadata();
      if (width && height) sides.push(Math.sqrt(width * height));
    } catch {
      // An unreadable file: the loader's skip report names it when training reads it.
    }
  }
  return {
    images: train.samples.length,
    classes: train.classes.length,
    minPerClass: nonEmpty.length ? Math.min(...nonEmpty) : 0,
    medianPerClass: median(nonEmpty),
    medianSide: median(sides),
  };
}
