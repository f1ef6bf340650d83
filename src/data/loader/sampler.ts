/**
 * Samplers: the order of dataset indices for each epoch, a pure function of (seed,
 * epoch), so an epoch can be replayed or resumed. `classBalancedSampler` draws with
 * replacement, class k with weight count_k^-power (power 1: every class equally often;
 * 0.5: square-root balancing), the usual remedy for long-tailed data.
 *
 * @example
 *   const s = randomSampler(ds.samples.length, 42);
 *   s.indices(0); // a permutation, the same on every run for epoch 0
 *   const b = classBalancedSampler(ds.samples.map((x) => x.label), { seed: 42 });
 */
import { Rng } from '../random.js';

/**
 * The order in which a loader visits the dataset, epoch by epoch: a pure function of the epoch, so
 * a resumed run sees the same order.
 */
export interface Sampler {
  /** Dataset indices to visit in epoch `epoch`, in order. */
  indices(epoch: number): number[];
  /** A description for logs, e.g. `random(seed 42)`. */
  readonly name: string;
}

/**
 * The dataset in order, every epoch.
 *
 * @example
 *   sequentialSampler(3).indices(0); // [0, 1, 2]
 */
export function sequentialSampler(n: number): Sampler {
  return { name: 'sequential', indices: () => Array.from({ length: n }, (_, i) => i) };
}

/**
 * A fresh seeded permutation every epoch.
 *
 * @example
 *   randomSampler(ds.samples.length, 42).indices(epoch);
 */
export function randomSampler(n: number, seed = 0): Sampler {
  return { name: `random(seed ${seed})`, indices: (epoch) => Rng.derive(seed, 'shuffle', epoch).permutation(n) };
}

/** Options of `classBalancedSampler`. */
export interface BalancedOptions {
  /** Seed of the draws, combined with the epoch (default 0). */
  seed?: number;
  /** Samples per epoch (default: the dataset size). */
  numSamples?: number;
  /** Class weight = count^-power: 1 balances fully, 0 is plain sampling (default 1). */
  power?: number;
}

/**
 * Draws with replacement, each class weighted by count^-power.
 *
 * @example
 *   new DataLoader(ds, { batchSize: 32, transform, sampler: classBalancedSampler(labels, { seed: 0 }) });
 */
export function classBalancedSampler(labels: readonly number[], options: BalancedOptions = {}): Sampler {
  const seed = options.seed ?? 0;
  const power = options.power ?? 1;
  const numSamples = options.numSamples ?? labels.length;
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  // Per-sample weight count^-power; a cumulative table makes each draw a binary search.
  const cumulative = new Float64Array(labels.length);
  let total = 0;
  labels.forEach((l, i) => {
    total += Math.pow(counts.get(l)!, -power);
    cumulative[i] = total;
  });
  return {
    name: `classBalanced(power ${power})`,
    indices(epoch) {
      const rng = Rng.derive(seed, 'balanced', epoch);
      const out = new Array<number>(numSamples);
      for (let k = 0; k < numSamples; k++) {
        const u = rng.next() * total;
        let lo = 0;
        let hi = labels.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        out[k] = lo;
      }
      return out;
    },
  };
}
