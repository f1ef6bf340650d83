/**
 * The bytes a pickle is read from: a buffer (a zip's `data.pkl`) or a stretch of an open file
 * (the legacy format, whose pickles precede gigabytes of storages). Every read states its
 * length first and is checked against what is left, so a pickle that declares a 2^60-byte
 * string fails before anything is allocated.
 *
 * @example
 *   const input = bufferInput(bytes, 'data.pkl');
 *   const op = input.byte();
 */
import { readSync } from 'node:fs';
import { fail } from './error.js';

/** A region of bytes a pickle is read from, with bounds-checked reads (what `bufferInput` returns). */
export interface ByteInput {
  /** Offset of the next byte, from the start of this input's region. */
  readonly position: number;
  /** Bytes left in the region. */
  readonly remaining: number;
  /** One byte; BAD_PICKLE at the end. */
  byte(): number;
  /** The next `n` bytes (a view or a copy; the caller must not keep it across reads unless copied). */
  bytes(n: number): Uint8Array;
  /** A name for messages: the file and the part of it. */
  readonly where: string;
}

function short(where: string, want: number, left: number): never {
  return fail('BAD_PICKLE', `${where}: the pickle ends early (wanted ${want} bytes, ${left} left): truncated or corrupt`);
}

/** Reads from bytes in memory. */
export function bufferInput(data: Uint8Array, where: string): ByteInput {
  let pos = 0;
  return {
    where,
    get position() {
      return pos;
    },
    get remaining() {
      return data.byteLength - pos;
    },
    byte() {
      if (pos >= data.byteLength) short(where, 1, 0);
      return data[pos++]!;
    },
    bytes(n) {
      if (!Number.isSafeInteger(n) || n < 0 || n > data.byteLength - pos) short(where, n, data.byteLength - pos);
      const out = data.subarray(pos, pos + n);
      pos += n;
      return out;
    },
  };
}

const WINDOW = 1 << 16;

/** Reads file bytes from `start` up to `end` through a 64 KiB window (long strings read directly). */
export function fileInput(fd: number, start: number, end: number, where: string): ByteInput {
  let pos = start;
  let win = new Uint8Array(0);
  let winStart = start;
  const fill = () => {
    const len = Math.min(WINDOW, end - pos);
    win = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, win, got, len - got, pos + got);
      if (n === 0) short(where, len, got);
      got += n;
    }
    winStart = pos;
  };
  return {
    where,
    get position() {
      return pos - start;
    },
    get remaining() {
      return end - pos;
    },
    byte() {
      if (pos >= end) short(where, 1, 0);
      if (pos - winStart >= win.byteLength) fill();
      return win[pos++ - winStart]!;
    },
    bytes(n) {
      if (!Number.isSafeInteger(n) || n < 0 || n > end - pos) short(where, n, end - pos);
      const offset = pos - winStart;
      if (offset + n <= win.byteLength) {
        pos += n;
        return win.subarray(offset, offset + n);
      }
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, out, got, Math.min(n - got, 1 << 30), pos + got);
        if (r === 0) short(where, n, got);
        got += r;
      }
      pos += n;
      return out;
    },
  };
}
