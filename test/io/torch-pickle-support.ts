/**
 * Helpers for the hostile and fuzz tests of the PyTorch checkpoint reader: pickles assembled
 * opcode by opcode, a pickle disassembler (to find and rewrite one opcode of a real file),
 * a small zip reader and writer (to rebuild torch.save archives with mutated records, fresh
 * CRCs and hostile headers), the legacy format's header pickles, Python runs, and the one
 * error assertion both tests share.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import { TorchCheckpointError, type TorchCheckpointErrorCode } from '../../src/index.js';
import { crc32 } from '../../src/io/torch-pickle/crc32.js';
import { OP } from '../../src/io/torch-pickle/opcodes.js';

export const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';

/** Runs a Python script (given as text, read from stdin) with arguments; returns its stdout. */
export function python(script: string, args: string[] = [], timeoutMs = 120_000): string {
  try {
    return execFileSync(PYTHON, ['-', ...args], { input: script, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 26, timeout: timeoutMs }).toString();
  } catch (e: any) {
    throw new Error(`python failed:\n${e.stderr?.toString() ?? e.message}`, { cause: e });
  }
}

export { prng, type Rng } from '../support/prng.js';

/**
 * Asserts `fn` throws a TorchCheckpointError with this code whose message is one line (and
 * matches `message`, if given); returns it.
 */
export function assertTorchError(fn: () => unknown, code: TorchCheckpointErrorCode, message?: RegExp): TorchCheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a TorchCheckpointError ${code}, nothing was thrown`);
  assert.ok(caught instanceof TorchCheckpointError, `expected a TorchCheckpointError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), `the message should be one line: ${JSON.stringify(caught.message)}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

// ---- pickles by hand

/** Bytes from parts: a number is one byte, a string its latin1 bytes, arrays as they are. */
export function pk(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p & 0xff);
    else if (typeof p === 'string') for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff);
    else for (const b of p) out.push(b);
  }
  return Uint8Array.from(out);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export const u16le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
export const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
export function u64le(n: bigint | number): number[] {
  const v = BigInt.asUintN(64, BigInt(n));
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

/** BINUNICODE of a string (UTF-8). */
export function binunicode(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  return pk(OP.BINUNICODE, u32le(b.byteLength), b);
}

/** The shortest pickle opcode for an integer: BININT1, BININT2, BININT or LONG1. */
export function pickleInt(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v >= 0n && v < 256n) return pk(OP.BININT1, Number(v));
  if (v >= 0n && v < 65536n) return pk(OP.BININT2, u16le(Number(v)));
  if (v >= -(2n ** 31n) && v < 2n ** 31n) return pk(OP.BININT, u32le(Number(BigInt.asUintN(32, v))));
  const bytes: number[] = [];
  let x = v;
  // Two's complement, little-endian, with a sign byte when the top bit would lie.
  for (;;) {
    bytes.push(Number(BigInt.asUintN(8, x)));
    x >>= 8n;
    if ((x === 0n && !(bytes[bytes.length - 1]! & 0x80)) || (x === -1n && bytes[bytes.length - 1]! & 0x80)) break;
  }
  return pk(OP.LONG1, bytes.length, bytes);
}

/** A protocol-0 pickle that calls `module.name(arg)` through GLOBAL + REDUCE. */
export const p0Reduce = (module: string, name: string, arg: string): Uint8Array => pk(`c${module}\n${name}\n(S'${arg}'\ntR.`);
/** The same call through INST (protocol 0's instance opcode: MARK args INST module name). */
export const p0Inst = (module: string, name: string, arg: string): Uint8Array => pk(`(S'${arg}'\ni${module}\n${name}\n.`);
/** The same call through OBJ (protocol 1: MARK class args OBJ). */
export const p1Obj = (module: string, name: string, arg: string): Uint8Array => pk(`(c${module}\n${name}\nS'${arg}'\no.`);
/** The same call through STACK_GLOBAL (protocol 4: module and name as strings on the stack). */
export const p4StackGlobal = (module: string, name: string, arg: string): Uint8Array =>
  concat(pk(0x80, 4), binunicode(module), binunicode(name), pk(OP.STACK_GLOBAL), binunicode(arg), pk(OP.TUPLE1, OP.REDUCE, OP.STOP));

/** A valid state-dict pickle with no tensors' data: {'step': 3} (protocol 2). */
export const plainDictPickle = (): Uint8Array => concat(pk(0x80, 2, OP.EMPTY_DICT), binunicode('step'), pk(OP.BININT1, 3, OP.SETITEM, OP.STOP));

// ---- the pickle disassembler

/** One opcode of a pickle: where it starts, where its argument starts, where it ends. */
export interface PickleOp {
  op: number;
  pos: number;
  arg: number;
  end: number;
}

const NO_ARG = new Set<number>([
  OP.MARK,
  OP.STOP,
  OP.POP,
  OP.POP_MARK,
  OP.DUP,
  OP.NONE,
  OP.BINPERSID,
  OP.REDUCE,
  OP.APPEND,
  OP.BUILD,
  OP.DICT,
  OP.EMPTY_DICT,
  OP.APPENDS,
  OP.LIST,
  OP.EMPTY_LIST,
  OP.OBJ,
  OP.SETITEM,
  OP.TUPLE,
  OP.EMPTY_TUPLE,
  OP.SETITEMS,
  OP.NEWOBJ,
  OP.TUPLE1,
  OP.TUPLE2,
  OP.TUPLE3,
  OP.NEWTRUE,
  OP.NEWFALSE,
  OP.EMPTY_SET,
  OP.ADDITEMS,
  OP.FROZENSET,
  OP.NEWOBJ_EX,
  OP.STACK_GLOBAL,
  OP.MEMOIZE,
  OP.NEXT_BUFFER,
  OP.READONLY_BUFFER,
]);
const ONE_LINE = new Set<number>([OP.FLOAT, OP.INT, OP.LONG, OP.PERSID, OP.STRING, OP.UNICODE, OP.GET, OP.PUT]);
const TWO_LINES = new Set<number>([OP.GLOBAL, OP.INST]);
const FIXED = new Map<number, number>([
  [OP.BININT1, 1],
  [OP.BINGET, 1],
  [OP.BINPUT, 1],
  [OP.PROTO, 1],
  [OP.EXT1, 1],
  [OP.BININT2, 2],
  [OP.EXT2, 2],
  [OP.BININT, 4],
  [OP.LONG_BINGET, 4],
  [OP.LONG_BINPUT, 4],
  [OP.EXT4, 4],
  [OP.BINFLOAT, 8],
  [OP.FRAME, 8],
]);
/** Opcodes whose argument is a length (of this many bytes) and then that many bytes. */
const COUNTED = new Map<number, number>([
  [OP.SHORT_BINSTRING, 1],
  [OP.SHORT_BINBYTES, 1],
  [OP.SHORT_BINUNICODE, 1],
  [OP.LONG1, 1],
  [OP.BINSTRING, 4],
  [OP.BINUNICODE, 4],
  [OP.BINBYTES, 4],
  [OP.LONG4, 4],
  [OP.BINUNICODE8, 8],
  [OP.BINBYTES8, 8],
  [OP.BYTEARRAY8, 8],
]);

/** The opcodes of the pickle that starts at `start`, up to and including its STOP (valid pickles only). */
export function pickleOps(bytes: Uint8Array, start = 0): PickleOp[] {
  const ops: PickleOp[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = start;
  for (;;) {
    if (p >= bytes.byteLength) throw new Error(`pickleOps: no STOP after byte ${start}`);
    const op = bytes[p]!;
    const arg = p + 1;
    let end: number;
    if (NO_ARG.has(op)) end = arg;
    else if (ONE_LINE.has(op)) end = bytes.indexOf(0x0a, arg) + 1;
    else if (TWO_LINES.has(op)) end = bytes.indexOf(0x0a, bytes.indexOf(0x0a, arg) + 1) + 1;
    else if (FIXED.has(op)) end = arg + FIXED.get(op)!;
    else if (COUNTED.has(op)) {
      const w = COUNTED.get(op)!;
      const n = w === 1 ? bytes[arg]! : w === 4 ? view.getUint32(arg, true) : Number(view.getBigUint64(arg, true));
      end = arg + w + n;
    } else throw new Error(`pickleOps: unknown opcode 0x${op.toString(16)} at ${p}`);
    if (end <= p) throw new Error(`pickleOps: a text opcode without a newline at ${p}`);
    ops.push({ op, pos: p, arg, end });
    p = end;
    if (op === OP.STOP) return ops;
  }
}

/** `bytes` with [from, to) replaced by `insert`. */
export function splice(bytes: Uint8Array, from: number, to: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(bytes.subarray(0, from), insert, bytes.subarray(to));
}

/** Removes FRAME opcodes (protocol 4 framing), so a pickle can be edited without fixing frame lengths. */
export function unframe(pickle: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const o of pickleOps(pickle)) {
    if (o.op !== OP.FRAME) continue;
    parts.push(pickle.subarray(from, o.pos));
    from = o.end;
  }
  parts.push(pickle.subarray(from));
  return concat(...parts);
}

// ---- the legacy format

const MAGIC = 0x1950a86a20f9469cfc6cn;

/** The three pickles that open a legacy checkpoint: magic number, protocol version 1001, system info. */
export function legacyHeader(): Uint8Array {
  const magic = Array.from({ length: 10 }, (_, i) => Number((MAGIC >> BigInt(8 * i)) & 0xffn));
  const sysInfo = concat(pk(0x80, 2, OP.EMPTY_DICT), binunicode('little_endian'), pk(OP.NEWTRUE, OP.SETITEM, OP.STOP));
  return concat(pk(0x80, 2, OP.LONG1, 10, magic, OP.STOP), pk(0x80, 2, OP.BININT2, u16le(1001), OP.STOP), sysInfo);
}

/** A legacy checkpoint whose object pickle is `objectPickle` and which has no storages. */
export function legacyFile(objectPickle: Uint8Array): Uint8Array {
  return concat(legacyHeader(), objectPickle, pk(0x80, 2, OP.EMPTY_LIST, OP.STOP));
}

// ---- zip archives

export interface ZipRecord {
  name: string;
  /** The record's uncompressed bytes. */
  data: Uint8Array;
  /** 0 stored (what torch.save writes), 8 deflated. */
  method?: 0 | 8;
  /** The bytes written for the record, instead of `data` stored or deflated (a corrupt stream). */
  body?: Uint8Array;
  /** The uncompressed size declared in both headers, instead of data's length. */
  size?: number;
  /** Overrides for the central directory header only: an extra field, and raw 32-bit fields (0xffffffff for zip64). */
  central?: { extra?: Uint8Array; size?: number; compressedSize?: number; offset?: number; method?: number };
}

/** Where each part of a written zip lies, for editing its fields afterwards. */
export interface ZipLayout {
  /** Offset of each entry's local header. */
  locals: number[];
  /** Offset of each entry's central directory header. */
  centrals: number[];
  /** Offset of each entry's data. */
  data: number[];
  cdOffset: number;
  cdSize: number;
  /** Offset of the end-of-central-directory record. */
  eocd: number;
}

/** Zip64 end records: written with these values (default: the true ones), the classic end record saying 'see zip64'. */
export interface Zip64Options {
  count?: bigint;
  cdSize?: bigint;
  cdOffset?: bigint;
  /** Where the locator says the zip64 end record is. */
  recordOffset?: bigint;
}

/**
 * A zip archive of `records`, each data start aligned to 64 bytes as torch.save does it
 * (through padding in the local header's extra field). No data descriptors; zip64 end
 * records when `zip64` is given.
 */
export function writeZip(records: ZipRecord[], zip64?: Zip64Options): { bytes: Uint8Array; layout: ZipLayout } {
  const chunks: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  const layout: ZipLayout = { locals: [], centrals: [], data: [], cdOffset: 0, cdSize: 0, eocd: 0 };
  let at = 0;
  const enc = new TextEncoder();
  for (const r of records) {
    const name = enc.encode(r.name);
    const method = r.method ?? 0;
    const body = r.body ?? (method === 8 ? new Uint8Array(deflateRawSync(r.data)) : r.data);
    const size = r.size ?? r.data.byteLength;
    const crc = crc32(r.data);
    // The extra field pads the data start to a multiple of 64 (an extra field is 4 bytes at least).
    const pad = (64 - ((at + 30 + name.byteLength + 4) % 64)) % 64;
    const extra = pk(u16le(0x4246), u16le(pad), new Array<number>(pad).fill(0x5a));
    const local = pk(
      u32le(0x04034b50),
      u16le(20),
      u16le(0),
      u16le(method),
      u16le(0),
      u16le(0x21),
      u32le(crc),
      u32le(body.byteLength),
      u32le(size),
      u16le(name.byteLength),
      u16le(extra.byteLength),
      name,
      extra,
    );
    layout.locals.push(at);
    layout.data.push(at + local.byteLength);
    const c = r.central ?? {};
    const cextra = c.extra ?? new Uint8Array(0);
    centrals.push(
      pk(
        u32le(0x02014b50),
        u16le(45),
        u16le(20),
        u16le(0),
        u16le(c.method ?? method),
        u16le(0),
        u16le(0x21),
        u32le(crc),
        u32le(c.compressedSize ?? body.byteLength),
        u32le(c.size ?? size),
        u16le(name.byteLength),
        u16le(cextra.byteLength),
        u16le(0),
        u16le(0),
        u16le(0),
        u32le(0),
        u32le(c.offset ?? at),
        name,
        cextra,
      ),
    );
    chunks.push(local, body);
    at += local.byteLength + body.byteLength;
  }
  layout.cdOffset = at;
  for (const c of centrals) {
    layout.centrals.push(at);
    chunks.push(c);
    at += c.byteLength;
  }
  layout.cdSize = at - layout.cdOffset;
  if (zip64) {
    const record = at;
    chunks.push(
      pk(u32le(0x06064b50), u64le(44), u16le(45), u16le(45), u32le(0), u32le(0)),
      pk(
        u64le(zip64.count ?? BigInt(records.length)),
        u64le(zip64.count ?? BigInt(records.length)),
        u64le(zip64.cdSize ?? BigInt(layout.cdSize)),
        u64le(zip64.cdOffset ?? BigInt(layout.cdOffset)),
      ),
      pk(u32le(0x07064b50), u32le(0), u64le(zip64.recordOffset ?? BigInt(record)), u32le(1)),
    );
    at += 56 + 20;
  }
  layout.eocd = at;
  const count = zip64 ? 0xffff : records.length;
  chunks.push(
    pk(
      u32le(0x06054b50),
      u16le(0),
      u16le(0),
      u16le(count),
      u16le(count),
      u32le(zip64 ? 0xffffffff : layout.cdSize),
      u32le(zip64 ? 0xffffffff : layout.cdOffset),
      u16le(0),
    ),
  );
  return { bytes: concat(...chunks), layout };
}

/** The records of a well-formed zip (stored or deflated; as torch.save writes them), in directory order. */
export function readZip(bytes: Uint8Array): (ZipRecord & { dataOffset: number; compressedSize: number })[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.byteLength - 22;
  while (eocd >= 0 && v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('readZip: no end record');
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const out: (ZipRecord & { dataOffset: number; compressedSize: number })[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    const method = v.getUint16(p + 10, true) as 0 | 8;
    const csize = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    const dataOffset = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (method !== 0) throw new Error(`readZip: ${name} is compressed (method ${method})`);
    out.push({ name, method, data: bytes.slice(dataOffset, dataOffset + csize), dataOffset, compressedSize: csize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
