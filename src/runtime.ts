/**
 * Process-wide settings: random seeds, CPU threads, and what this libtorch build can do.
 *
 * @example
 *   manualSeed(0);        // reproducible randn/dropout/shuffles on CPU and CUDA
 *   setNumThreads(2);
 */
import { availableParallelism } from 'node:os';
import { native } from './native/binding.js';

/** Seeds libtorch's generators on every device. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`manualSeed: expected a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** Threads for intra-op parallelism (convolutions, matrix products). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

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
 * Hands the free memory that finegrain's host-memory policy keeps for reuse (see
 * src/native/host-memory.ts) back to the system, e.g. after training in a process that lives
 * on. Returns true when some was released, null where the C library is not glibc.
 *
 * @example
 *   await trainer.fit();
 *   releaseHostMemory();
 */
export function releaseHostMemory(): boolean | null {
  return native.mallocTrim();
}

export interface BuildInfo {
  torchVersion: string;
  mkldnn: boolean;
  cuda: boolean;
  /** libtorch's build configuration text (torch.__config__.show()). */
  config: string;
  parallel: string;
}

export function buildInfo(): BuildInfo {
  return native.buildInfo();
}
