/**
 * Process-wide settings: random seeds, CPU threads, and what this libtorch build can do.
 *
 * @example
 *   manualSeed(0);        // reproducible randn/dropout/shuffles on CPU and CUDA
 *   setNumThreads(2);
 */
import { availableParallelism } from 'node:os';
import { native } from '../native/binding.js';
import { setHostMemoryCache } from '../native/host-memory.js';

/** Seeds libtorch's generators on every device. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`manualSeed: expected a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** Threads for intra-op parallelism (convolutions, matrix products). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

/** How many threads libtorch uses for one operation (intra-op parallelism; `setNumThreads` changes it). */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Every core this process may use for intra-op parallelism, unless `OMP_NUM_THREADS` says
 * otherwise. libtorch's own default can be a single thread (it is on Debian's build), which
 * halves a 2-core machine; the CLI's train, eval and predict call this.
 */
export function useAllCores(): number {
  const n = process.env.OMP_NUM_THREADS ? Number(process.env.OMP_NUM_THREADS) : availableParallelism();
  if (Number.isInteger(n) && n > 0) native.setNumThreads(n);
  return native.getNumThreads();
}

/**
 * Training's host-memory policy (src/native/host-memory.ts): while on, freed CPU tensor memory
 * stays in the process for the next step instead of being unmapped and page-faulted in again
 * (~12% of a RegNetY-16GF bf16 step on 2 cores). The Trainer turns it on for a run and off
 * after; turn it on around a training loop of your own. Calls nest: the last `false` restores
 * glibc's defaults and releases what was kept. Returns whether the policy is in effect after
 * the call (never off glibc, nor under `FINEGRAIN_HOST_MEMORY=system`).
 *
 * @example
 *   cacheHostMemory(true);
 *   try { for (const batch of batches) trainStep(batch); } finally { cacheHostMemory(false); }
 */
export function cacheHostMemory(on: boolean): boolean {
  // Calls nest (two runs training at once): the cache goes off when the last holder turns it off.
  if (on) {
    if (cacheHolders++ === 0) cacheOn = setHostMemoryCache(native, true);
  } else if (cacheHolders > 0 && --cacheHolders === 0) {
    cacheOn = setHostMemoryCache(native, false);
  }
  return cacheOn;
}

let cacheHolders = 0;
let cacheOn = false;

/** What the libtorch that the addon is linked against was built with (`finegrain info` prints it). */
export interface BuildInfo {
  /** libtorch's version, e.g. '2.1.0' or '1.13.1'. */
  torchVersion: string;
  /** Whether oneDNN (MKL-DNN) is compiled in: fast CPU convolutions and bfloat16 kernels. */
  mkldnn: boolean;
  /** Whether CUDA support is compiled in (a GPU may still be missing: see `cuda.isAvailable()`). */
  cuda: boolean;
  /** libtorch's build configuration text (torch.__config__.show()). */
  config: string;
  /** libtorch's threading report (torch.__config__.parallel_info()): backends and thread counts. */
  parallel: string;
}

/** The libtorch build the addon runs on: version, oneDNN, CUDA, configuration. */
export function buildInfo(): BuildInfo {
  return native.buildInfo();
}
