/**
 * The zip container of PyTorch ≥ 1.6 checkpoints, read through positioned reads: the end
 * records (zip64 too: files over 4 GiB), the central directory, and each entry's data
 * position from its local header. Nothing is read whole; an entry is a byte range of the file.
 * PyTorch stores records uncompressed and 64-byte aligned; deflated entries (an archive
 * re-zipped by another tool) are inflated through node:zlib.
 *
 * Hostile archives fail with BAD_ARCHIVE: sizes and offsets past the file, overlapping or
 * absurd entry counts, names with `..`, absolute paths or NUL bytes, duplicate names.
 *
 * @example
 *   const zip = openZip(fd, 'm.pth');
 *   const entry = zip.entries.get('archive/data.pkl');
 *   const bytes = zip.read(entry);
 */
import { fstatSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.js';
import { fail } from './error.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Where the local header starts. */
  headerOffset: number;
}

export interface ZipArchive {
  readonly size: number;
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Where the entry's (stored or compressed) bytes start in the file. */
  dataOffset(entry: ZipEntry): number;
  /** The entry's uncompressed bytes, CRC-checked; for small records (data.pkl, version). */
  read(entry: ZipEntry, limit: number): Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readAt(fd: number, position: number, length: number, fileSize: number, what: string): Uint8Array {
  if (position < 0 || length < 0 || position + length > fileSize)
    fail('BAD_ARCHIVE', `${what} lies past the end of the file (bytes ${position}..${position + length} of ${fileSize})`);
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, Math.min(length - got, 1 << 30), position + got);
    if (n === 0) fail('BAD_ARCHIVE', `${what}: the file ends early`);
    got += n;
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, at: number, what: string): number => {
  const n = Number(v.getBigUint64(at, true));
  if (!Number.isSafeInteger(n)) fail('BAD_ARCHIVE', `${what} is ${n}`);
  return n;
};

/** Whether the first bytes are a zip local header (`PK\3\4`). */
export function looksLikeZip(first: Uint8Array): boolean {
  return first.byteLength >= 4 && view(first).getUint32(0, true) === LOCAL;
}

function checkName(name: string, file: string): void {
  if (name.includes('\0') || name.startsWith('/') || name.includes('\\') || name.split('/').includes('..'))
    fail('BAD_ARCHIVE', `${file}: zip entry '${name.replace(/\0/g, '\\0')}' has an unsafe name (absolute, '..' or NUL)`);
}

/** Reads the end records and the central directory (nothing else) of the zip in `fd`. */
export function openZip(fd: number, file: string): ZipArchive {
  const size = fstatSync(fd).size;
  // The end record is in the last 22 + 65535 (comment) bytes.
  const tailLen = Math.min(size, 22 + 65535);
  const tail = readAt(fd, size - tailLen, tailLen, size, 'the zip end record');
  const tv = view(tail);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) fail('BAD_ARCHIVE', `${file}: no zip end record (truncated?)`);
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  const eocdPos = size - tailLen + at;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // zip64: a locator right before the end record points at the zip64 end record.
    const loc = view(readAt(fd, eocdPos - 20, 20, size, 'the zip64 locator'));
    if (loc.getUint32(0, true) !== EOCD64_LOCATOR) fail('BAD_ARCHIVE', `${file}: zip64 sizes without a zip64 locator`);
    const rec = view(readAt(fd, u64(loc, 8, 'the zip64 end offset'), 56, size, 'the zip64 end record'));
    if (rec.getUint32(0, true) !== EOCD64) fail('BAD_ARCHIVE', `${file}: the zip64 locator points at no zip64 end record`);
    count = u64(rec, 32, 'the entry count');
    cdSize = u64(rec, 40, 'the directory size');
    cdOffset = u64(rec, 48, 'the directory offset');
  }
  if (cdOffset + cdSize > size)
    fail('BAD_ARCHIVE', `${file}: the central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${size} bytes)`);
  if (count * 46 > cdSize) fail('BAD_ARCHIVE', `${file}: ${count} entries cannot fit a ${cdSize}-byte directory`);
  const cd = readAt(fd, cdOffset, cdSize, size, 'the central directory');
  const cv = view(cd);
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder('utf-8');
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL) fail('BAD_ARCHIVE', `${file}: central directory entry ${i} is malformed`);
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let entrySize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let headerOffset = cv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) fail('BAD_ARCHIVE', `${file}: central directory entry ${i} runs past the directory`);
    const name = names.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field (id 1): the 64-bit values of those fields that read 0xffffffff, in order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cv.getUint16(x, true);
      const len = cv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) fail('BAD_ARCHIVE', `${file}: entry '${name}' has a malformed extra field`);
      if (id === 1) {
        let q = x + 4;
        const take = (what: string) => {
          if (q + 8 > x + 4 + len) fail('BAD_ARCHIVE', `${file}: entry '${name}' has a short zip64 field`);
          const v = u64(cv, q, `entry '${name}' ${what}`);
          q += 8;
          return v;
        };
        if (entrySize === 0xffffffff) entrySize = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (headerOffset === 0xffffffff) headerOffset = take('offset');
      }
      x += 4 + len;
    }
    checkName(name, file);
    if (entries.has(name)) fail('BAD_ARCHIVE', `${file}: zip entry '${name}' appears twice`);
    if (method !== 0 && method !== 8) fail('BAD_ARCHIVE', `${file}: zip entry '${name}' uses compression method ${method} (only stored and deflated are read)`);
    if (method === 0 && compressedSize !== entrySize)
      fail('BAD_ARCHIVE', `${file}: stored entry '${name}' declares ${entrySize} bytes but holds ${compressedSize}`);
    if (headerOffset + 30 + compressedSize > cdOffset)
      fail('BAD_ARCHIVE', `${file}: zip entry '${name}' (${compressedSize} bytes at ${headerOffset}) overlaps the directory or lies past the end`);
    entries.set(name, { name, method, compressedSize, size: entrySize, crc32: crc, headerOffset });
    p = end;
  }
  const dataOffsets = new Map<ZipEntry, number>();
  const archive: ZipArchive = {
    size,
    entries,
    dataOffset(entry) {
      let at = dataOffsets.get(entry);
      if (at !== undefined) return at;
      const h = view(readAt(fd, entry.headerOffset, 30, size, `the local header of '${entry.name}'`));
      if (h.getUint32(0, true) !== LOCAL) fail('BAD_ARCHIVE', `${file}: entry '${entry.name}' has no local header at ${entry.headerOffset}`);
      at = entry.headerOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
      if (at + entry.compressedSize > cdOffset) fail('BAD_ARCHIVE', `${file}: the data of '${entry.name}' runs into the central directory`);
      dataOffsets.set(entry, at);
      return at;
    },
    read(entry, limit) {
      if (entry.size > limit) fail('LIMIT', `${file}: '${entry.name}' is ${entry.size} bytes (limit ${limit})`);
      const raw = readAt(fd, archive.dataOffset(entry), entry.compressedSize, size, `'${entry.name}'`);
      let out = raw;
      if (entry.method === 8) {
        try {
          out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
        } catch (e) {
          fail('BAD_ARCHIVE', `${file}: '${entry.name}' does not inflate (${(e as Error).message})`);
        }
        if (out.byteLength !== entry.size) fail('BAD_ARCHIVE', `${file}: '${entry.name}' inflates to ${out.byteLength} bytes, not the ${entry.size} declared`);
      }
      if (crc32(out) !== entry.crc32) fail('CHECKSUM', `${file}: '${entry.name}' does not match its CRC-32 (corrupt file)`);
      return out;
    },
  };
  return archive;
}
