/**
 * Process-wide settings: random seeds, CPU threads, and what this libtorch build can do.
 *
 * @example
 *   manualSeed(0);        // reproducible randn/dropout/shuffles on CPU and CUDA
 *   setNumThreads(2);
 */
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
