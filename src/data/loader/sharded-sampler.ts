/**
 * A sampler's order split across data-parallel ranks (see src/distributed/shard.ts): every rank
 * computes the same (seed, epoch) order and keeps its share, so no rank needs to talk to
 * another to know what to read, and a resumed run reads the same shards again.
 *
 * @example
 *   const s = shardedSampler(randomSampler(n, seed), { rank: 1, worldSize: 2 });
 *   s.indices(epoch); // rank 1's half of the epoch's permutation
 */
import { shardOrder } from '../../distributed/shard.js';
import type { Sampler } from './sampler.js';

/** `inner` itself when `shard` is null or a world of one. */
export function shardedSampler(inner: Sampler, shard: { rank: number; worldSize: number } | null): Sampler {
  if (!shard || shard.worldSize === 1) return inner;
  return { name: `${inner.name} shard ${shard.rank}/${shard.worldSize}`, indices: (epoch) => shardOrder(inner.indices(epoch), shard.rank, shard.worldSize) };
}
