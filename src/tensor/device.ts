/**
 * Devices: `'cpu'`, `'cuda'` (the current CUDA device) or `'cuda:N'`.
 *
 * @example
 *   const device = cuda.isAvailable() ? 'cuda' : 'cpu';
 *   const x = randn([8, 3, 224, 224], { device });
 */
import { native } from '../native/binding.js';

/** Where a tensor lives: 'cpu', 'cuda' (the current CUDA device) or 'cuda:N' (device N). */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * Checks that a string (a command-line option, a config value) names a device and returns it typed;
 * throws a TypeError naming the accepted forms otherwise.
 */
export function parseDevice(d: string): Device {
  if (d === 'cpu' || d === 'cuda' || /^cuda:\d+$/.test(d)) return d as Device;
  throw new TypeError(`unknown device '${d}': expected 'cpu', 'cuda' or 'cuda:N'`);
}

/**
 * The CUDA runtime as this libtorch sees it (torch.cuda): whether a GPU can be used, how many, and
 * waiting for queued work. Without a CUDA build every answer is "none" and nothing throws.
 */
export const cuda = {
  /** Whether this libtorch was built with CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cudaDeviceCount() > 0;
  },
  /** How many CUDA devices are visible (0 without CUDA); valid indices for `cuda:N` are 0 to count - 1. */
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for all queued CUDA work (for timing). No-op without CUDA. */
  synchronize(device?: number): void {
    native.cudaSynchronize(device ?? null);
  },
};
