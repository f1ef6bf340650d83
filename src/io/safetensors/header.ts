/**
 * The safetensors header: reading and validating it (against hostile files), and building
 * it for writing. A file is
 *
 *   8 bytes   N, the header length, unsigned little-endian 64-bit
 *   N bytes   UTF-8 JSON: {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 *             "__metadata__": {string: string}}, starting with `{`, maybe padded with spaces
 *   the rest  the tensors' bytes, row-major little-endian, at offsets relative to its start
 *
 * The checks follow the reference crate (huggingface/safetensors, src/tensor.rs) and its
 * README: offsets, sorted, must tile the data section exactly (no gaps, no overlaps, no
 * trailing bytes, which rules out polyglot files), each tensor's byte length must equal
 * numel × itemsize, and the header length is capped so that a hostile length allocates nothing.
 *
 * @example
 *   const header = parseHeader(headerBytes, dataLength);
 *   for (const t of header.tensors) console.log(t.name, t.stDtype, t.shape, t.begin, t.end);
 */
import type { DType } from '../../tensor/dtype.js';
import { SafetensorsError, quoteName } from './error.js';
import { ST_DTYPES } from './dtypes.js';
import { parseJson, JsonNumber, type JsonObject, type JsonValue } from './json.js';

/** The reference implementation's cap on the header length. */
export const MAX_HEADER_SIZE = 100_000_000;

/** One tensor as the header describes it. */
export interface TensorEntry {
  name: string;
  /** The dtype as written in the file (`F32`, `BF16`, `U16`, ...). */
  stDtype: string;
  /** The finegrain dtype; undefined for safetensors dtypes finegrain lacks (U16, F8_E4M3, ...). */
  dtype: DType | undefined;
  shape: number[];
  /** Byte range in the data section (relative to its start), end exclusive. */
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** The tensors in the order of their bytes in the file. */
  tensors: TensorEntry[];
  byName: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const FIELDS = new Set(['dtype', 'shape', 'data_offsets']);
/**
 * More dimensions than any real tensor has (the reference sets no limit); a cap keeps a
 * hostile shape of millions of 1s from becoming millions of libtorch sizes and strides.
 */
export const MAX_DIMS = 1024;
// Unknown fields of tensor entries are ignored, as the reference does; they are checked
// for syntax but never built, however large.
const skipUnknownFields = (path: readonly string[]) => path.length === 2 && path[0] !== METADATA_KEY && !FIELDS.has(path[1]!);

/**
 * Reads N from the first 8 bytes and checks it against the cap and the file size, before
 * anything is allocated for the header.
 */
export function headerLength(first8: Uint8Array, fileSize: number, maxHeaderSize = MAX_HEADER_SIZE): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new SafetensorsError('HEADER_TOO_SMALL', `file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderSize)) {
    throw new SafetensorsError('HEADER_TOO_LARGE', `header length ${n} is over the ${maxHeaderSize}-byte limit`);
  }
  if (8n + n > BigInt(fileSize)) {
    throw new SafetensorsError('INVALID_HEADER_LENGTH', `header length ${n} runs past the end of the ${fileSize}-byte file`);
  }
  return Number(n);
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM stays in the text, and
// then fails the "must begin with {" rule instead of being dropped silently.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses and validates the N header bytes; `dataLength` is the size of everything after them. */
export function parseHeader(bytes: Uint8Array, dataLength: number): ParsedHeader {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new SafetensorsError('INVALID_UTF8', 'header is not valid UTF-8');
  }
  if (text[0] !== '{') {
    const what = text.length ? `${JSON.stringify(text.slice(0, 8))}…` : 'an empty header';
    throw new SafetensorsError('INVALID_HEADER_START', `header must begin with '{', found ${what}`);
  }
  // Valid JSON that starts with '{' is an object.
  const root = parseJson(text, { skip: skipUnknownFields }) as JsonObject;

  let metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, value] of root) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else tensors.push(parseEntry(name, value));
  }
  // Files from other writers may list tensors in any order; their bytes must still tile
  // the data section. Zero-length tensors sort by name, for a stable order.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  checkLayout(tensors, dataLength);
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), metadata };
}

function parseMetadata(value: JsonValue): Record<string, string> {
  // serde reads `"__metadata__": null` as no metadata; so do we.
  if (value === null) return {};
  if (!(value instanceof Map)) throw new SafetensorsError('INVALID_METADATA', '__metadata__ must be an object of strings');
  const entries: [string, string][] = [];
  for (const [k, v] of value) {
    if (typeof v !== 'string') throw new SafetensorsError('INVALID_METADATA', `__metadata__ value for ${quoteName(k)} is not a string`);
    entries.push([k, v]);
  }
  // fromEntries defines own properties, so a key like "__proto__" stays data.
  return Object.fromEntries(entries);
}

function parseEntry(name: string, value: JsonValue): TensorEntry {
  const q = quoteName(name);
  if (!(value instanceof Map)) throw new SafetensorsError('INVALID_TENSOR_INFO', `tensor ${q}: entry is not an object`, name);
  const dtypeValue = value.get('dtype');
  const shapeValue = value.get('shape');
  const offsetsValue = value.get('data_offsets');
  if (typeof dtypeValue !== 'string') throw new SafetensorsError('INVALID_TENSOR_INFO', `tensor ${q}: "dtype" is missing or not a string`, name);
  if (!Array.isArray(shapeValue)) throw new SafetensorsError('INVALID_TENSOR_INFO', `tensor ${q}: "shape" is missing or not an array`, name);
  if (!Array.isArray(offsetsValue)) throw new SafetensorsError('INVALID_TENSOR_INFO', `tensor ${q}: "data_offsets" is missing or not an array`, name);

  const st = ST_DTYPES.get(dtypeValue);
  if (!st) throw new SafetensorsError('INVALID_DTYPE', `tensor ${q}: unknown dtype ${quoteName(dtypeValue)}`, name);

  if (shapeValue.length > MAX_DIMS)
    throw new SafetensorsError('INVALID_SHAPE', `tensor ${q}: shape has ${shapeValue.length} dimensions, over the limit of ${MAX_DIMS}`, name);
  const shape: number[] = [];
  let count = 1;
  for (const v of shapeValue) {
    // The parser gives plain integer literals below 2^53 as numbers, and nothing else.
    if (typeof v !== 'number') {
      const shown = v instanceof JsonNumber ? v.text.slice(0, 40) : v instanceof Map ? 'an object' : JSON.stringify(v)?.slice(0, 40);
      throw new SafetensorsError('INVALID_SHAPE', `tensor ${q}: shape entry ${shown} is not a non-negative integer below 2^53`, name);
    }
    // libtorch multiplies sizes in order with overflow checks; stay far inside that.
    count *= v;
    if (count > Number.MAX_SAFE_INTEGER)
      throw new SafetensorsError('INVALID_SHAPE', `tensor ${q}: element count of shape [${shapeValue.length} dims] overflows`, name);
    shape.push(v);
  }

  const [b, e] = offsetsValue;
  if (offsetsValue.length !== 2 || typeof b !== 'number' || typeof e !== 'number') {
    throw new SafetensorsError('INVALID_OFFSETS', `tensor ${q}: data_offsets must be two non-negative integers below 2^53`, name);
  }
  if (b > e) throw new SafetensorsError('INVALID_OFFSETS', `tensor ${q}: data_offsets begin ${b} is after end ${e}`, name);

  const bits = BigInt(count) * BigInt(st.bits);
  if (bits % 8n !== 0n) {
    throw new SafetensorsError('MISALIGNED', `tensor ${q}: ${count} elements of ${dtypeValue} do not fill whole bytes`, name);
  }
  if (bits / 8n !== BigInt(e - b)) {
    throw new SafetensorsError(
      'SIZE_MISMATCH',
      `tensor ${q}: shape [${shape}] of ${dtypeValue} needs ${bits / 8n} bytes, data_offsets [${b}, ${e}] hold ${e - b}`,
      name,
    );
  }
  return { name, stDtype: dtypeValue, dtype: st.dtype, shape, begin: b, end: e };
}

function checkLayout(sorted: TensorEntry[], dataLength: number): void {
  let expected = 0;
  let previous: TensorEntry | undefined;
  for (const t of sorted) {
    if (t.begin !== expected) {
      const q = quoteName(t.name);
      const after = previous ? `tensor ${quoteName(previous.name)} ends at ${expected}` : 'the data section starts at 0';
      const kind = t.begin < expected ? 'overlaps the tensor before it' : 'leaves a hole';
      throw new SafetensorsError('NON_CONTIGUOUS_OFFSETS', `tensor ${q}: data_offsets begin ${t.begin} ${kind} (${after})`, t.name);
    }
    if (t.end > dataLength) {
      throw new SafetensorsError(
        'OFFSET_OUT_OF_RANGE',
        `tensor ${quoteName(t.name)}: data_offsets end ${t.end} is past the ${dataLength}-byte data section`,
        t.name,
      );
    }
    expected = t.end;
    previous = t;
  }
  if (expected !== dataLength) {
    throw new SafetensorsError(
      'INCOMPLETE_BUFFER',
      `tensors cover ${expected} bytes but the data section holds ${dataLength}: the file has bytes no tensor owns`,
    );
  }
}

/** What the writer needs to know of each tensor. */
export interface EntryToWrite {
  name: string;
  stDtype: string;
  shape: readonly number[];
  byteLength: number;
}

/**
 * Orders tensors as the reference writer does (descending dtype alignment, then name by
 * UTF-8 bytes, so every tensor starts aligned to its element size), assigns offsets, and
 * returns the header bytes padded with spaces to a multiple of 8.
 */
export function buildHeader<T extends EntryToWrite>(entries: T[], metadata?: Record<string, string>): { header: Uint8Array; ordered: T[]; dataLength: number } {
  const keyed = entries.map((e) => ({ e, rank: ST_DTYPES.get(e.stDtype)!.rank, bytes: Buffer.from(e.name, 'utf8') }));
  keyed.sort((a, b) => b.rank - a.rank || Buffer.compare(a.bytes, b.bytes));
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const { e } of keyed) {
    const info = `{"dtype":"${e.stDtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + e.byteLength}]}`;
    parts.push(`${JSON.stringify(e.name)}:${info}`);
    offset += e.byteLength;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > MAX_HEADER_SIZE) {
    throw new SafetensorsError('HEADER_TOO_LARGE', `header would be ${padded} bytes, over the ${MAX_HEADER_SIZE}-byte limit readers enforce`);
  }
  const header = new Uint8Array(padded).fill(0x20);
  header.set(json);
  return { header, ordered: keyed.map((k) => k.e), dataLength: offset };
}
