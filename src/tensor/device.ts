/**
 * Devices: `'cpu'`, `'cuda'` (the current CUDA device) or `'cuda:N'`.
 *
 * @example
 *   const device = cuda.isAvailable() ? 'cuda' : 'cpu';
 *   const x = randn([8, 3, 224, 224], { device });
 */
import { native } from '../native/binding.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export function parseDevice(d: string): Device {
  if (d === 'cpu' || d === 'cuda' || /^cuda:\d+$/.test(d)) return d as Device;
  throw new TypeError(`unknown device '${d}': expected 'cpu', 'cuda' or 'cuda:N'`);
}

export const cuda = {
  /** Whether this libtorch was built with CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cudaDeviceCount() > 0;
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for all queued CUDA work (for timing). No-op without CUDA. */
  synchronize(device?: number): void {
    native.cudaSynchronize(device ?? null);
  },
};
