/**
 * One tensor's bytes from the file into finegrain memory. A contiguous little-endian view is
 * read straight into a new tensor (one copy, no JS buffer); a strided view (channels-last, a
 * transposed slice) reads the span it covers and is made contiguous; a deflated record is
 * inflated, checked against its CRC, and copied; big-endian storages are swapped.
 *
 * @example
 *   const t = readTensorRef(fd, raw, ref, 'm.pth');
 */
import { constants } from 'node:buffer';
import { readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { empty, scope, type Tensor } from '../../tensor/index.js';
import { preadTensor } from '../tensor-bytes.js';
import { crc32 } from './crc32.js';
import { fail } from './error.js';
import type { RawCheckpoint } from './raw-checkpoint.js';
import { viewExtent } from './rebuild-tensor.js';
import type { TensorRef } from './values.js';

/** Whether the strides are the row-major ones for the shape (size-1 dimensions may have any). */
export function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.byteLength; i += width) bytes.subarray(i, i + width).reverse();
}

function readBytes(fd: number, position: number, length: number, file: string, what: string): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, Math.min(length - got, 1 << 30), position + got);
    if (n === 0) fail('BAD_TENSOR', `${file}: ${what} ends early (truncated?)`);
    got += n;
  }
  return out;
}

/**
 * For a view whose bytes can go straight from the file into memory (a stored record in
 * little-endian order): the position of its first element and the element span it covers.
 * Null when it must go through `readTensorRef` (deflated, big-endian, an unknown dtype).
 */
export function directSpan(raw: RawCheckpoint, storage: TensorRef['storage'], lo: number, hi: number): { position: number } | null {
  if (!storage.dtype || raw.bigEndian || hi <= lo) return null;
  const loc = raw.locate(storage);
  if (loc.deflated) return null;
  return { position: loc.position + lo * storage.itemSize };
}

/** Reads the tensor `ref` describes; the caller owns the result (contiguous, on the CPU). */
export function readTensorRef(fd: number, raw: RawCheckpoint, ref: TensorRef, file: string, name = `of storage ${ref.storage.key}`): Tensor {
  const { storage } = ref;
  const dtype = storage.dtype;
  if (!dtype) return fail('UNSUPPORTED', `${file}: tensor ${name} is ${storage.typeName}, which finegrain has no dtype for`);
  const extent = viewExtent(ref.offset, ref.shape, ref.stride);
  const span = extent - ref.offset;
  if (span <= 0) return empty(ref.shape, { dtype });
  const size = storage.itemSize;
  const loc = raw.locate(storage);
  const contiguous = isRowMajor(ref.shape, ref.stride);
  return scope(() => {
    let flat: Tensor;
    if (loc.deflated) {
      const e = loc.deflated;
      if (e.size > constants.MAX_LENGTH) fail('LIMIT', `${file}: deflated record ${e.name} of ${e.size} bytes`);
      let bytes: Uint8Array;
      try {
        bytes = inflateRawSync(readBytes(fd, loc.position, e.compressedSize, file, e.name), { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        return fail('BAD_ARCHIVE', `${file}: record ${e.name} does not inflate (${(err as Error).message})`);
      }
      if (bytes.byteLength !== e.size) fail('BAD_ARCHIVE', `${file}: record ${e.name} inflates to ${bytes.byteLength} bytes, not ${e.size}`);
      if (crc32(bytes) !== e.crc32) fail('CHECKSUM', `${file}: record ${e.name} does not match its CRC-32 (corrupt file)`);
      const base = storage.baseOffset * size;
      const part = bytes.subarray(base + ref.offset * size, base + extent * size);
      if (raw.bigEndian) swapBytes(part, size);
      flat = empty([span], { dtype }).copyFromBytes(part);
    } else if (raw.bigEndian) {
      const part = readBytes(fd, loc.position + ref.offset * size, span * size, file, `tensor ${name}`);
      swapBytes(part, size);
      flat = empty([span], { dtype }).copyFromBytes(part);
    } else {
      // The common case: read straight into the tensor's own memory.
      flat = empty(contiguous ? ref.shape : [span], { dtype });
      if (preadTensor(flat, fd, loc.position + ref.offset * size) < span * size) fail('BAD_TENSOR', `${file}: tensor ${name} ends early (truncated?)`);
      if (contiguous) return flat;
    }
    return contiguous ? flat.view(ref.shape) : flat.asStrided(ref.shape, ref.stride, 0).contiguous();
  });
}
