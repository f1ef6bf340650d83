/**
 * Host memory policy for serving: a server is one long-lived process per replica, and what it
 * holds resident is what a node pays for each replica. Two glibc defaults cost it most
 * (bench/serve's accounting, bench/README.md#serve):
 *
 * - one malloc arena per thread that contends (up to 8 per core): the server's threads — the
 *   inference thread, libtorch's workers, sharp's decoders, the quality thread — each keep
 *   freed memory in an arena of their own. Two arenas are enough for a handful of threads.
 * - the moving mmap threshold: once a large block is freed, glibc serves blocks of that size
 *   from the heap instead of mmap, where freed memory stays. A fixed 128 KiB threshold hands
 *   large blocks back on free; the activations worth keeping are kept by the tensor cache
 *   (native/src/tensor-cache.cc), which is sized by what the batches use.
 *
 * Set once, early in the serving process, before its threads allocate; glibc applies both to
 * the whole process. `MALLOC_ARENA_MAX` in the environment (glibc's own variable) wins over
 * the arena cap; `FINEGRAIN_HOST_MEMORY=system` leaves glibc's defaults alone.
 *
 * @example
 *   capServingMemory(native);   // first thing on the inference thread
 */
import type { NativeBinding } from './binding.js';

/** Arenas the serving process keeps at most (glibc's default is 8 per core). */
export const SERVING_ARENAS = 2;
/** Blocks from this size up are mmapped and unmapped on free (glibc's initial value, held fixed). */
export const SERVING_MMAP_THRESHOLD = 128 * 1024;

/** Applies the serving policy; returns what was set ('not glibc' where the C library has its own policy). */
export function capServingMemory(
  native: Pick<NativeBinding, 'mallopt'>,
  env: NodeJS.ProcessEnv = process.env,
): { arenas: number | null; mmapThreshold: number | null } | 'not glibc' | 'system' {
  if (env.FINEGRAIN_HOST_MEMORY === 'system') return 'system';
  const threshold = native.mallopt('mmapThreshold', SERVING_MMAP_THRESHOLD);
  if (threshold === null) return 'not glibc';
  const arenas = env.MALLOC_ARENA_MAX ? null : native.mallopt('arenaMax', SERVING_ARENAS) ? SERVING_ARENAS : null;
  return { arenas, mmapThreshold: threshold ? SERVING_MMAP_THRESHOLD : null };
}
