/**
 * Each rank's share of an epoch's order, as PyTorch's DistributedSampler: the order (a function
 * of seed and epoch, the same on every rank) is padded by repeating its start to a multiple of
 * the world size, and rank r takes positions r, r + W, r + 2W, ... So with per-rank batch b,
 * the k-th batches of all ranks together are exactly the k-th global batch (b·W samples) of a
 * one-process run over the same order.
 *
 * @example
 *   shardOrder([5, 3, 8, 1, 9], 1, 2);  // [3, 1, 5]  (padded with the first index)
 */
export function shardOrder(order: readonly number[], rank: number, worldSize: number): number[] {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`shardOrder: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`shardOrder: rank must be in [0, ${worldSize}), got ${rank}`);
  if (worldSize === 1) return [...order];
  const total = Math.ceil(order.length / worldSize) * worldSize;
  const out: number[] = [];
  for (let i = rank; i < total; i += worldSize) out.push(order[i % order.length]!);
  return out;
}
