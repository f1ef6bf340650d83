/**
 * Where safetensors bytes come from: an open file (read with positioned reads, straight
 * into the destination) or bytes already in memory. Both answer "fill this array from that
 * position", so validation and tensor loading are written once.
 *
 * @example
 *   const source = fileSource(fd);
 *   const { header, dataStart } = readHeader(source);
 */
import { fstatSync, readSync } from 'node:fs';
import { SafetensorsError } from './error.js';
import { headerLength, parseHeader, MAX_HEADER_SIZE, type ParsedHeader } from './header.js';

export interface ByteSource {
  readonly size: number;
  /** Fills `target` with the bytes at `position`; UNEXPECTED_EOF if the source ends first. */
  read(target: Uint8Array, position: number): void;
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
        if (n === 0) {
          throw new SafetensorsError('UNEXPECTED_EOF', `file ended at byte ${position + done} while reading bytes ${position}..${position + target.byteLength} (was it truncated after opening?)`);
        }
        done += n;
      }
    },
  };
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(target, position) {
      if (position + target.byteLength > bytes.byteLength) {
        throw new SafetensorsError('UNEXPECTED_EOF', `bytes ${position}..${position + target.byteLength} are past the end of the ${bytes.byteLength}-byte buffer`);
      }
      target.set(bytes.subarray(position, position + target.byteLength));
    },
  };
}

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
