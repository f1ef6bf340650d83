/**
 * Host memory policy: freed CPU tensor memory stays in the process for the next allocation.
 *
 * libtorch allocates CPU tensors with glibc's malloc, which serves large blocks (those past a
 * threshold that moves between 128 KiB and 32 MiB) with fresh `mmap`s and unmaps them on free.
 * A training step frees and re-allocates the same activations every step, so each step
 * page-faults all of them in again and the kernel zeroes every page: on a RegNetY-16GF bfloat16
 * step (batch 8, 2 cores) that is 163,000 page faults and 0.47 s of system CPU time per step,
 * against 900 faults and 0.01 s with this policy (measured 2026-11-26). PyTorch users get the same
 * effect by preloading jemalloc or tcmalloc; finegrain sets glibc's own knobs when the addon
 * loads: no `mmap` for tensors (they come from the heap and return to it) and a 2 GiB trim
 * threshold (freed memory is kept rather than handed back at once).
 *
 * The cost: the process keeps its peak heap until `releaseHostMemory()`, as any caching
 * allocator does. `FINEGRAIN_HOST_MEMORY=system` at start-up keeps glibc's defaults.
 *
 * @example
 *   await trainTheModel();
 *   releaseHostMemory(); // give the heap's free memory back to the system
 */
import type { NativeBinding } from './binding.js';

const TRIM_THRESHOLD = 2 ** 31 - 1; // glibc takes an int

/** Applies the policy unless FINEGRAIN_HOST_MEMORY=system; returns whether it is in effect (false off glibc). */
export function applyHostMemoryPolicy(native: Pick<NativeBinding, 'mallopt'>, env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env.FINEGRAIN_HOST_MEMORY;
  if (mode === 'system') return false;
  if (mode !== undefined && mode !== 'cache') throw new TypeError(`FINEGRAIN_HOST_MEMORY must be 'cache' (default) or 'system', got '${mode}'`);
  const mmap = native.mallopt('mmapMax', 0);
  if (mmap === null) return false; // not glibc: its allocator has its own policy
  const trim = native.mallopt('trimThreshold', TRIM_THRESHOLD);
  return mmap === true && trim === true;
}
