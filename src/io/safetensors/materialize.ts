/**
 * One tensor from its header entry: allocate it with `empty()`, then read the bytes
 * straight into its memory, so loading costs one copy, from the file into the tensor, and
 * never holds the file in a JS buffer.
 *
 * @example
 *   const t = readTensor(source, dataStart, header.byName.get('fc.weight')!, { dtype: 'float16' });
 */
import { endianness } from 'node:os';
import { empty, isFloating, scope, type Device, type DType, type Tensor } from '../../tensor/index.js';
import { SafetensorsError, quoteName } from './error.js';
import type { TensorEntry } from './header.js';
import type { ByteSource } from './source.js';

/** Where a tensor read from a weights file goes, and in which floating-point dtype. */
export interface TensorLoadOptions {
  /** Move each tensor here after reading (default: CPU). */
  device?: Device | string;
  /**
   * Cast floating-point tensors to this floating dtype (e.g. `'float16'` to halve memory).
   * Integer and bool tensors (class indices, BatchNorm's step counters) keep their dtype.
   */
  dtype?: DType;
}

/** Throws UNSUPPORTED_DTYPE for entries finegrain cannot hold, before any reading starts. */
export function checkSupported(entry: TensorEntry): DType {
  if (entry.dtype === undefined) {
    throw new SafetensorsError(
      'UNSUPPORTED_DTYPE',
      `tensor ${quoteName(entry.name)}: dtype ${entry.stDtype} has no finegrain equivalent (libtorch 1.13 lacks it); leave it out with the keys option`,
      entry.name,
    );
  }
  return entry.dtype;
}

export function checkLoadOptions(options: TensorLoadOptions): void {
  if (options.dtype !== undefined && !isFloating(options.dtype)) {
    throw new TypeError(`dtype option must be a floating dtype (it only casts floating-point tensors), got '${options.dtype}'`);
  }
}

export function readTensor(source: ByteSource, dataStart: number, entry: TensorEntry, options: TensorLoadOptions = {}): Tensor {
  const dtype = checkSupported(entry);
  if (endianness() !== 'LE') throw new Error('safetensors: reading on a big-endian host is not supported');
  return scope(() => {
    const t = empty(entry.shape, { dtype });
    if (entry.end > entry.begin) source.readTensor(t, dataStart + entry.begin);
    let out = t;
    if (options.dtype && options.dtype !== dtype && isFloating(dtype)) out = out.to({ dtype: options.dtype });
    if (options.device && options.device !== 'cpu') out = out.to({ device: options.device });
    return out;
  });
}
