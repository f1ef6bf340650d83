/**
 * Choosing where and in what precision to train: `device: 'auto'` takes CUDA when present;
 * `precision: 'auto'` takes bfloat16 autocast where the hardware runs it fast (CUDA, or a
 * CPU with AMX or AVX-512 BF16), else float32; channels-last goes with bfloat16 on CPU (oneDNN's
 * fast path) and with CUDA.
 */
import { cpuFlags } from '../native/cpu-flags.js';
import { cuda, type Device } from '../tensor/device.js';

export type Precision = 'float32' | 'bfloat16' | 'float16';

/** Whether this CPU has native bfloat16 matrix units (AMX) or AVX-512 BF16 instructions. */
export function cpuHasFastBf16(): boolean {
  return /\b(amx_bf16|avx512_bf16)\b/.test(cpuFlags());
}

export function resolveDevice(requested: string): Device {
  if (requested === 'auto') return cuda.isAvailable() ? 'cuda' : 'cpu';
  if (requested.startsWith('cuda') && !cuda.isAvailable()) {
    throw Object.assign(new Error(`device '${requested}' requested but CUDA is not available in this libtorch build or machine`), { name: 'UsageError' });
  }
  if (requested !== 'cpu' && !requested.startsWith('cuda')) throw Object.assign(new Error(`unknown device '${requested}'`), { name: 'UsageError' });
  return requested as Device;
}

export function resolvePrecision(requested: 'auto' | Precision, device: Device): Precision {
  const onCuda = device !== 'cpu';
  if (requested === 'float16' && !onCuda) throw Object.assign(new Error('float16 training needs CUDA; use bfloat16 on CPU'), { name: 'UsageError' });
  if (requested !== 'auto') return requested;
  return onCuda || cpuHasFastBf16() ? 'bfloat16' : 'float32';
}

export function resolveChannelsLast(requested: boolean | undefined, device: Device, precision: Precision): boolean {
  return requested ?? (device !== 'cpu' || precision === 'bfloat16');
}
