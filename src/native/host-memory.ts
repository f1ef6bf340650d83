/**
 * Host memory policy for training: freed CPU tensor memory stays in the process for the next
 * step instead of going back to the system.
 *
 * libtorch allocates CPU tensors with glibc's malloc, which serves large blocks (past a
 * threshold that moves between 128 KiB and 32 MiB) with fresh `mmap`s and unmaps them on free.
 * A training step frees and re-allocates the same activations every step, so each step
 * page-faults all of them in again and the kernel zeroes every page: on a RegNetY-16GF bfloat16
 * step (batch 8, 2 cores) that is 163,000 page faults and 0.47 s of system CPU time per step,
 * against 1,000–5,000 faults and 0.01–0.05 s with this policy, ~12% of the step (measured
 * 2026-11-26). PyTorch users get the same effect by preloading jemalloc or tcmalloc; finegrain
 * sets glibc's own knobs: no `mmap` for tensors (they come from the heap and go back to it) and
 * a 2 GiB trim threshold (freed memory is kept rather than handed back at once).
 *
 * Only while training (the Trainer turns it on and off again): a training loop allocates the
 * same sizes every step, so after a few steps the heap holds its peak and reuses it (RSS 2,310
 * MiB against glibc's own 2,246 MiB peak on that RegNet). Where allocations do not repeat —
 * loading files of changing sizes, say — glibc's no-mmap heap cannot reuse freed blocks for the
 * next aligned allocation of the same size and grows without bound (a safetensors load/dispose
 * loop: +192 MiB a round), so the policy is never on by default.
 * `FINEGRAIN_HOST_MEMORY=system` keeps glibc's defaults even while training.
 *
 * @example
 *   cacheHostMemory(true);
 *   try { trainingLoop(); } finally { cacheHostMemory(false); }
 */
import type { NativeBinding } from './binding.js';

// glibc's defaults (malloc/malloc.c): mmap for up to 65,536 blocks, 128 KiB trim threshold.
const GLIBC_MMAP_MAX = 65536;
const GLIBC_TRIM_THRESHOLD = 128 * 1024;
const TRIM_THRESHOLD = 2 ** 31 - 1; // glibc takes an int

/**
 * Turns the policy on or off (off: glibc's defaults again, and the kept memory is released).
 * Returns whether the policy is now in effect: false when turned off, under
 * FINEGRAIN_HOST_MEMORY=system, or where the C library is not glibc.
 */
export function setHostMemoryCache(native: Pick<NativeBinding, 'mallopt' | 'mallocTrim'>, on: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env.FINEGRAIN_HOST_MEMORY;
  if (mode !== undefined && mode !== 'cache' && mode !== 'system')
    throw new TypeError(`FINEGRAIN_HOST_MEMORY must be 'cache' (default) or 'system', got '${mode}'`);
  if (mode === 'system') return false;
  if (!on) {
    native.mallopt('mmapMax', GLIBC_MMAP_MAX);
    native.mallopt('trimThreshold', GLIBC_TRIM_THRESHOLD);
    native.mallocTrim();
    return false;
  }
  const mmap = native.mallopt('mmapMax', 0);
  if (mmap === null) return false; // not glibc: its allocator has its own policy
  const trim = native.mallopt('trimThreshold', TRIM_THRESHOLD);
  return mmap === true && trim === true;
}
