/**
 * Where safetensors bytes come from: an open file (positioned reads, tensors read straight
 * into their own memory) or bytes already in memory. Both answer "fill this from that
 * position", so validation and tensor loading are written once.
 *
 * @example
 *   const source = fileSource(fd);
 *   const { header, dataStart } = readHeader(source);
 */
import { fstatSync, readSync } from 'node:fs';
import type { Tensor } from '../../tensor/index.js';
import { preadTensor } from '../tensor-bytes.js';
import { SafetensorsError } from './error.js';
import { headerLength, parseHeader, MAX_HEADER_SIZE, type ParsedHeader } from './header.js';

export interface ByteSource {
  readonly size: number;
  /** Fills `target` with the bytes at `position`; UNEXPECTED_EOF if the source ends first. */
  read(target: Uint8Array, position: number): void;
  /** Fills a new contiguous CPU tensor with the bytes at `position`, straight into its memory. */
  readTensor(target: Tensor, position: number): void;
}

function eof(position: number, length: number, size: number | string): never {
  throw new SafetensorsError('UNEXPECTED_EOF', `bytes ${position}..${position + length} are past the end of the ${size} (was it truncated after opening?)`);
}

// Node refuses single reads over 2 GiB; larger tensors are read in pieces.
const MAX_IO = 1 << 30;

/** Positioned reads from an open file descriptor (the size is taken once, now). */
export function fileSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return {
    size,
    read(target, position) {
      let done = 0;
      while (done < target.byteLength) {
        const n = readSync(fd, target, done, Math.min(target.byteLength - done, MAX_IO), position + done);
        if (n === 0) eof(position, target.byteLength, 'file');
        done += n;
      }
    },
    readTensor(target, position) {
      if (preadTensor(target, fd, position) < target.byteSize) eof(position, target.byteSize, 'file');
    },
  };
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(target, position) {
      if (position + target.byteLength > bytes.byteLength) eof(position, target.byteLength, 'buffer');
      target.set(bytes.subarray(position, position + target.byteLength));
    },
    readTensor(target, position) {
      const n = target.byteSize;
      if (position + n > bytes.byteLength) eof(position, n, 'buffer');
      target.copyFromBytes(bytes.subarray(position, position + n));
    },
  };
}

/** Limits applied while reading a safetensors header, before any tensor is read. */
export interface HeaderOptions {
  /** Refuse headers longer than this many bytes (default 100 MB, as the reference does). */
  maxHeaderSize?: number;
}

/** Reads and validates the header; the tensors' bytes start at `dataStart`. */
export function readHeader(source: ByteSource, options: HeaderOptions = {}): { header: ParsedHeader; dataStart: number } {
  const first8 = new Uint8Array(8);
  if (source.size >= 8) source.read(first8, 0);
  const n = headerLength(first8, source.size, options.maxHeaderSize ?? MAX_HEADER_SIZE);
  // n is now at most the cap and within the file, so this allocation is bounded.
  const bytes = new Uint8Array(n);
  source.read(bytes, 8);
  return { header: parseHeader(bytes, source.size - 8 - n), dataStart: 8 + n };
}
