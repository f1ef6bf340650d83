/**
 * What both checkpoint formats hand the reader once their pickle is read: the unpickled
 * object, and where each storage's bytes lie in the file. Tensors are read from there later,
 * one at a time (read-tensor.ts).
 */
import type { ZipEntry } from './zip-archive.js';
import type { PyValue, StorageRef } from './values.js';

export interface StorageLocation {
  /** Where the storage's first byte lies (for a deflated record: where its compressed bytes start). */
  position: number;
  /** The storage's size in bytes. */
  byteLength: number;
  /** Set when the record is deflated: it must be inflated whole. */
  deflated?: ZipEntry;
  /** The record's CRC-32 and byte length, when the format keeps one (zip). */
  crc32?: number;
}

export interface RawCheckpoint {
  format: 'zip' | 'legacy';
  root: PyValue;
  /** Storage bytes are big-endian (a zip's `byteorder` record says so); they are swapped on reading. */
  bigEndian: boolean;
  /** Where `storage`'s bytes lie (its base offset applied). */
  locate(storage: StorageRef): StorageLocation;
  /** Every record the storages use, for a full checksum pass. */
  records(): { key: string; location: StorageLocation }[];
}

/** Safety limits, overridable by callers that know their files. */
export interface ReadLimits {
  /** The largest pickle read into memory (default 1 GiB; real state dicts' pickles are a few MB). */
  maxPickleBytes?: number;
}

export const DEFAULT_MAX_PICKLE_BYTES = 1 << 30;
