/**
 * Inference's host-memory policy: while held, CPU tensor blocks of 128 KiB and over are cut from
 * one arena that freed blocks return to, instead of going back to glibc, which unmaps them and
 * makes the next pass page-fault every activation in again (native/src/tensor-cache.cc). On the
 * 2-core AMD EPYC that was most of a pass at batch 16: mobilenet_v2 56 → 297–350 images/s,
 * resnet50 1.5× (bench/infer). `classifier()` holds it for its lifetime and `predictDataset` for
 * its run; hold it around an inference loop of your own. The last release hands the arena's
 * pages back.
 *
 * Each block takes the lowest free range that fits and merges with its free neighbours when it
 * is freed, so what stays resident is about the most a pass has live at once (mobilenet_v2 at
 * batch 8: ~35 MiB), and a smaller batch runs in the memory a larger one left. The arena grows to
 * at most `FINEGRAIN_TENSOR_CACHE_MIB` MiB (default 1024; 0 turns it off); a block beyond that
 * comes from the system. Training keeps its own policy (cacheHostMemory): its shapes repeat too,
 * but its peak is larger.
 *
 * @example
 *   const release = holdTensorCache();
 *   try { for (const x of batches) predict(x); } finally { release(); }
 */
import { native, type TensorCacheStats } from '../native/binding.js';

export type { TensorCacheStats } from '../native/binding.js';

const DEFAULT_LIMIT_MIB = 1024;

/** The limit in bytes from `FINEGRAIN_TENSOR_CACHE_MIB` (a clear error for anything but a number ≥ 0). */
export function tensorCacheLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FINEGRAIN_TENSOR_CACHE_MIB;
  if (raw === undefined || raw === '') return DEFAULT_LIMIT_MIB * 2 ** 20;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib < 0) throw new TypeError(`FINEGRAIN_TENSOR_CACHE_MIB must be a number of MiB >= 0, got '${raw}'`);
  return Math.floor(mib * 2 ** 20);
}

/**
 * Holds the cache on until the returned function is called (calling it twice releases once).
 * With a limit of 0 it holds nothing and the release does nothing.
 */
export function holdTensorCache(limitBytes: number = tensorCacheLimitBytes()): () => void {
  if (limitBytes <= 0) return () => {};
  native.tensorCacheAcquire(limitBytes);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    native.tensorCacheRelease();
  };
}

/** What the cache holds now and how often it served an allocation. */
export function tensorCacheStats(): TensorCacheStats {
  return native.tensorCacheStats();
}
