/**
 * Per-image work a data-parallel run splits between its ranks — validation, the crop-box
 * refresh, pseudo labels — and gathers back, so every rank ends with the whole result and
 * takes the same decisions while doing 1/W of the work:
 *
 * - `ownIndices`: the dataset indices this rank handles (i ≡ rank mod W; all in one process);
 * - `gatherRows`: each rank fills the rows it owns of an [N, width] table, the table is
 *   summed over ranks (every row has one owner, so the sum copies it exactly), and every
 *   rank reads the whole table back. A row nobody filled (an image that did not decode)
 *   comes back absent;
 * - `syncBuffers`: rank 0's BatchNorm running statistics on every rank before the model is
 *   used in eval mode, as DistributedDataParallel's default (`broadcast_buffers`) does, so
 *   each rank's shard is judged by the same model — the one the checkpoint stores.
 *
 * @example
 *   const mine = ownIndices(ds.samples.length, s.parallel);
 *   const rows = await gatherRows(s.parallel, ds.samples.length, 2, (put) => put(i, [conf, label]));
 */
import type { Module } from '../nn/module.js';
import { fromTypedArray } from '../tensor/creation.js';
import type { DataParallel } from './data-parallel.js';

/** Dataset indices of `n` this rank handles: every index in one process. */
export function ownIndices(n: number, parallel: Pick<DataParallel, 'rank' | 'worldSize'> | null): number[] {
  const out: number[] = [];
  const w = parallel?.worldSize ?? 1;
  for (let i = parallel?.rank ?? 0; i < n; i += w) out.push(i);
  return out;
}

/** A gathered table: `row(i)` is null where no rank filled row i. */
export interface GatheredRows {
  row(i: number): Float64Array | null;
}

/**
 * The [n, width] table every rank's `fill` contributes its rows to, whole on every rank.
 * Values travel as float64 (labels and counts stay exact).
 */
export async function gatherRows(
  parallel: DataParallel | null,
  n: number,
  width: number,
  fill: (put: (index: number, values: readonly number[]) => void) => void,
): Promise<GatheredRows> {
  const stride = width + 1; // the last column marks a filled row
  const table = new Float64Array(n * stride);
  fill((index, values) => {
    if (values.length !== width) throw new RangeError(`gatherRows: row ${index} has ${values.length} values, expected ${width}`);
    table.set(values, index * stride);
    table[index * stride + width] = 1;
  });
  let all: Float64Array = table;
  if (parallel && parallel.worldSize > 1 && n > 0) {
    const t = fromTypedArray(table, [table.length]);
    try {
      await parallel.group.allReduce(t);
      all = t.toTypedArray() as Float64Array;
    } finally {
      t.dispose();
    }
  }
  return {
    row: (i) => (all[i * stride + width]! > 0 ? all.subarray(i * stride, i * stride + width) : null),
  };
}

/** Rank 0's buffers (BatchNorm running statistics) in every rank's copies of the modules. */
export async function syncBuffers(parallel: DataParallel | null, modules: readonly (Module | null | undefined)[]): Promise<void> {
  if (!parallel || parallel.worldSize === 1) return;
  const buffers = modules.flatMap((m) => (m ? m.buffers() : []));
  if (buffers.length) await parallel.group.broadcast(buffers, { root: 0 });
}
