/**
 * What the Trainer does differently when it runs as one of several data-parallel workers
 * (launched by `finegrain train --nproc-per-node N`, torchrun, Slurm or Kubernetes with
 * torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT):
 *
 * - every rank joins one process group (Gloo on CPU, NCCL on CUDA) and starts from rank 0's
 *   weights; gradients are averaged by c10d's Reducer during backward (src/distributed);
 * - each rank reads its shard of the seeded (seed, epoch) order, `batchSize` images per step,
 *   so the global batch is `batchSize × WORLD_SIZE`;
 * - BatchNorm statistics stay local to each rank while training (PyTorch's default without
 *   SyncBatchNorm), or, with `syncBatchNorm`, cover the global batch (SyncBatchNorm2d, every
 *   rank's images); before the model is used in eval mode, rank 0's are copied to every
 *   rank (DDP's `broadcast_buffers`), so all ranks use the statistics the checkpoint carries;
 * - only rank 0 writes the run folder (config, metrics, curves, checkpoints); the others
 *   learn its path from rank 0. `--resume` needs the run folder where every rank can read it
 *   (one machine, or a shared file system): each rank restores the same checkpoint.
 * - validation, the crop-box refresh and pseudo labels are split: each rank handles its
 *   share of the images and the results are gathered (shard-work.ts), so every rank holds
 *   what one process would compute and takes the same decisions.
 *
 * @example
 *   const dp = await joinDataParallel(config.device, log);   // null in a single-process run
 */
import { broadcastModule } from '../distributed/broadcast-module.js';
import { GradientReducer, type GradientCompression } from '../distributed/gradient-reducer.js';
import { launchEnv } from '../distributed/launch-env.js';
import { initProcessGroup, type ProcessGroup } from '../distributed/process-group.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../tensor/creation.js';

export interface DataParallel {
  readonly group: ProcessGroup;
  readonly rank: number;
  readonly worldSize: number;
  /** Rank 0: the one that writes. */
  readonly primary: boolean;
}

/** Joins the job's process group when launched as a worker; null for a single-process run. */
export async function joinDataParallel(device: string, timeoutMs = 300_000): Promise<DataParallel | null> {
  const env = launchEnv();
  if (!env || env.worldSize === 1) return null;
  const group = await initProcessGroup({ backend: device.startsWith('cuda') ? 'nccl' : 'gloo', timeoutMs });
  return { group, rank: group.rank, worldSize: group.worldSize, primary: group.rank === 0 };
}

const PATH_BYTES = 4096;

/** Rank 0's run folder path, on every rank. */
export async function shareRunDir(dp: DataParallel, dir: string | null): Promise<string> {
  const bytes = new Uint8Array(PATH_BYTES);
  if (dp.primary) {
    const encoded = new TextEncoder().encode(dir!);
    if (encoded.length >= PATH_BYTES) throw new Error(`run folder path too long for the distributed run (${encoded.length} bytes)`);
    bytes.set(encoded);
  }
  const t = zeros([PATH_BYTES], { dtype: 'uint8' });
  try {
    if (dp.primary) (t.toTypedArrayView() as Uint8Array).set(bytes);
    await dp.group.broadcast(t);
    const got = t.toTypedArray() as Uint8Array;
    return new TextDecoder().decode(got.subarray(0, got.indexOf(0) < 0 ? PATH_BYTES : got.indexOf(0)));
  } finally {
    t.dispose();
  }
}

/**
 * Rank 0's weights and buffers everywhere, then the gradient reducer over the trainable
 * parameters, its gradients views into the buckets (no copy into the buckets and back, one
 * gradient copy less in memory; the step zeroes them in place), all-reduced as `compression` says.
 */
export async function prepareModel(dp: DataParallel, model: Module, compression: GradientCompression = 'none'): Promise<GradientReducer> {
  await broadcastModule(dp.group, model);
  return new GradientReducer(
    dp.group,
    model.parameters().filter((p) => p.requiresGrad),
    { gradientAsBucketView: true, gradientCompression: compression },
  );
}
