/**
 * A seeded random sample of a list, in the list's order: what "only N of these images" should
 * mean when the list is ordered (folder-per-class data lists class by class, so its first N
 * images would be a few classes only). Same seed, same sample.
 *
 * @example
 *   const few = seededSample(ds.samples, 200, 0); // ~200/len of every class, in ds order
 */
import { Rng } from '../random.js';

/** `n` items of `items` drawn without replacement from `seed`; all of them when n ≥ their count. */
export function seededSample<T>(items: readonly T[], n: number, seed: number): readonly T[] {
  if (n >= items.length) return items;
  const picked = new Rng(seed, 'seeded-sample').permutation(items.length).slice(0, n);
  return picked.sort((a, b) => a - b).map((i) => items[i]!);
}
