/**
 * Choosing where and in what precision to train: `device: 'auto'` takes CUDA when present;
 * `precision: 'auto'` takes bfloat16 autocast where the hardware runs it fast (CUDA, or a
 * CPU with AMX or AVX-512 BF16), else float32; channels-last goes with bfloat16 on CPU (oneDNN's
 * fast path) and with CUDA.
 */
import { cpuFlags } from '../native/cpu-flags.js';
import { cuda, type Device } from '../tensor/device.js';
import { UsageError } from '../usage-error.js';

/** The arithmetic precision of training and inference: full float32, or autocast to bfloat16 (CPU and CUDA) or float16 (CUDA only). */
export type Precision = 'float32' | 'bfloat16' | 'float16';

/** Whether this CPU has native bfloat16 matrix units (AMX) or AVX-512 BF16 instructions. */
export function cpuHasFastBf16(): boolean {
  return /\b(amx_bf16|avx512_bf16)\b/.test(cpuFlags());
}

/**
 * The device for a `device` option: 'auto' picks CUDA when available, else the CPU; a CUDA
 * device without CUDA, or an unknown name, throws a UsageError.
 *
 * @example
 *   resolveDevice('auto'); // 'cuda' on a GPU machine, 'cpu' elsewhere
 */
export function resolveDevice(requested: string): Device {
  if (requested === 'auto') return cuda.isAvailable() ? 'cuda' : 'cpu';
  if (requested.startsWith('cuda') && !cuda.isAvailable()) {
    throw new UsageError(`device '${requested}' requested but CUDA is not available in this libtorch build or machine`);
  }
  if (requested !== 'cpu' && !requested.startsWith('cuda')) throw new UsageError(`unknown device '${requested}'`);
  return requested as Device;
}

/**
 * The precision for a `precision` option on `device`: 'auto' picks bfloat16 on CUDA and on
 * CPUs with fast bfloat16 units (AMX, AVX-512 BF16), float32 elsewhere; float16 on the CPU
 * throws a UsageError.
 */
export function resolvePrecision(requested: 'auto' | Precision, device: Device): Precision {
  const onCuda = device !== 'cpu';
  if (requested === 'float16' && !onCuda) throw new UsageError('float16 training needs CUDA; use bfloat16 on CPU');
  if (requested !== 'auto') return requested;
  return onCuda || cpuHasFastBf16() ? 'bfloat16' : 'float32';
}

/** Whether to use channels-last (NHWC) tensors: as requested, else on CUDA and with bfloat16 on CPU, where it is the fast layout. */
export function resolveChannelsLast(requested: boolean | undefined, device: Device, precision: Precision): boolean {
  return requested ?? (device !== 'cpu' || precision === 'bfloat16');
}
