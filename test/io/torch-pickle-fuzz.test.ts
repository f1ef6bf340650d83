// A deterministic fuzz of the PyTorch checkpoint reader (seeded: a failing case reproduces from its
// number). Seeds are real files written by the oracle (torch.save of a small state dict: float32,
// float16 and int64 tensors, a shared-storage pair, a transposed view and an expanded stride-0
// tensor; zip and legacy formats, pickle protocols 2 and 4). Each case applies one mutation kind
// (documented at KINDS below: bit flips, truncation, rewritten integers, storage types and keys,
// huge declared lengths, deep nesting, wide containers, memo abuse, copy bombs, and hostile zip
// archives) and loads the result. Every case must end in one of:
//   - a TorchCheckpointError (any code) with a one-line message that names the file;
//   - a plain Error whose message names the file (the only other error allowed; none occurs);
//   - a correct load: when PyTorch (torch.load, through an allowlisting pickle module) loads the
//     same file, the same keys, shapes, dtypes and bytes; when it does not (finegrain is lenient
//     about a few things PyTorch refuses: see the 'lenient' diagnostics), the original keys, shapes
//     and dtypes, and the original bytes except in tensors whose storage bytes the mutation hit.
// Never a crash (a fatal error ends the test run), a hang (each case is timed), or unbounded
// memory (RSS growth over the whole run is bounded).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import {
  bufferInput,
  loadTorchCheckpoint,
  openTorchCheckpoint,
  PyDict,
  scope,
  TensorRef,
  TorchCheckpointError,
  unpickle,
  type Tensor,
} from '../../src/index.js';
import { OP } from '../../src/io/torch-pickle/opcodes.js';
import { oracleSkip } from '../support/oracle.js';
import { bytesOf, tempDir } from './safetensors-support.js';
import {
  binunicode,
  concat,
  pickleInt,
  pickleOps,
  pk,
  prng,
  PYTHON,
  python,
  readZip,
  splice,
  u16le,
  u32le,
  u64le,
  unframe,
  writeZip,
  type PickleOp,
  type Rng,
  type ZipRecord,
} from './torch-pickle-support.js';

/** Cases per mutation kind; KINDS.length times this in all. */
const PER_KIND = 14;
/** No single case may take longer than this (the slowest take tens of milliseconds). */
const CASE_LIMIT_MS = 5000;
/** RSS may grow by at most this much over the whole run. */
const RSS_LIMIT = 400 * 2 ** 20;
const BIG = 100_000;
/** FINEGRAIN_FUZZ_KINDS=int,deep runs only those kinds (to reproduce one). */
const ONLY = process.env.FINEGRAIN_FUZZ_KINDS?.split(',');

const tmp = tempDir('fg-pth-fuzz-');
after(() => tmp.cleanup());

// ---- the seeds

const PY_SEEDS = `
import sys, os, json, hashlib, collections, torch
out = sys.argv[1]
torch.manual_seed(0)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
sd = collections.OrderedDict()
sd['conv.weight'] = torch.randn(4, 3, 3, 3)
sd['conv.bias'] = torch.randn(4)
sd['bn.running_mean'] = torch.randn(4).half()
sd['bn.num_batches_tracked'] = torch.tensor(7)
sd['embed.index'] = torch.arange(6).reshape(2, 3)
sd['shared.full'] = base                       # these two share one storage
sd['shared.rows'] = base[1:3]                  # (offset 6)
sd['view.t'] = torch.randn(3, 5).t()           # non-contiguous
sd['expanded'] = torch.randn(3, 1).expand(3, 4)  # stride 0: 3 stored elements, 12 in the tensor
for name, kw in (('zip', {}), ('zip4', dict(pickle_protocol=4)),
                 ('legacy', dict(_use_new_zipfile_serialization=False)),
                 ('legacy4', dict(_use_new_zipfile_serialization=False, pickle_protocol=4))):
    torch.save(sd, os.path.join(out, name + '.pth'), **kw)
print(json.dumps([[k, list(t.shape), str(t.dtype)[6:], hashlib.sha1(t.contiguous().numpy().tobytes()).hexdigest()] for k, t in sd.items()]))
`;

/**
 * What a load gives: [key, shape, dtype, sha1 of the row-major bytes], sorted by key (the
 * order of a loaded record's keys is not the state dict's when tensors are read in file order).
 */
type Summary = [string, number[], string, string][];
const byKey = (s: Summary): Summary => [...s].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

interface Seed {
  name: string;
  format: 'zip' | 'legacy';
  bytes: Uint8Array;
  /** The object pickle (zip: data.pkl; legacy: the fourth pickle). */
  pickle: Uint8Array;
  /** zip: the records in directory order; legacy: the pickles before and after the object's, and the storages. */
  records: ZipRecord[];
  legacy?: { head: Uint8Array; keys: Uint8Array; storages: Uint8Array };
  /** Where each storage's bytes lie in the original file. */
  ranges: { start: number; end: number; key: string }[];
  /** Each tensor's storage key. */
  storageOf: Map<string, string>;
}

function summarize(tensors: Record<string, Tensor>): Summary {
  return byKey(Object.entries(tensors).map(([k, t]) => [k, [...t.shape], t.dtype, createHash('sha1').update(bytesOf(t)).digest('hex')]));
}

/** A copy of the seed's file with the object pickle, key-list pickle or zip records replaced. */
function rebuild(seed: Seed, parts: { pickle?: Uint8Array; keys?: Uint8Array; records?: ZipRecord[] }): Uint8Array {
  if (seed.format === 'legacy') return concat(seed.legacy!.head, parts.pickle ?? seed.pickle, parts.keys ?? seed.legacy!.keys, seed.legacy!.storages);
  const records = parts.records ?? seed.records;
  return writeZip(parts.pickle ? records.map((r) => (r.name.endsWith('/data.pkl') ? { ...r, data: parts.pickle! } : r)) : records).bytes;
}

let seedCache: { seeds: Seed[]; expected: Summary } | undefined;
function seeds(): { seeds: Seed[]; expected: Summary } {
  if (seedCache) return seedCache;
  const dir = tmp.path('seeds');
  mkdirSync(dir, { recursive: true });
  const expected = byKey(JSON.parse(python(PY_SEEDS, [dir])) as Summary);
  const out: Seed[] = [];
  for (const name of ['zip', 'zip4', 'legacy', 'legacy4']) {
    const path = `${dir}/${name}.pth`;
    const bytes = new Uint8Array(readFileSync(path));
    // Which storage each tensor views, from the reader itself (the seeds are valid).
    const storageOf = new Map<string, string>();
    const itemSize = new Map<string, number>();
    {
      using ckpt = openTorchCheckpoint(path);
      for (const [k, v] of (ckpt.root as PyDict).entries) {
        const t = v as TensorRef;
        storageOf.set(k as string, t.storage.key);
        itemSize.set(t.storage.key, t.storage.itemSize);
      }
    }
    if (name.startsWith('zip')) {
      const records = readZip(bytes);
      const pickle = records.find((r) => r.name.endsWith('/data.pkl'))!.data;
      const ranges = records
        .filter((r) => /\/data\/[^/]+$/.test(r.name))
        .map((r) => ({ start: r.dataOffset, end: r.dataOffset + r.compressedSize, key: r.name.split('/').pop()! }));
      out.push({ name, format: 'zip', bytes, pickle, records: records.map(({ name, data }) => ({ name, data })), ranges, storageOf });
    } else {
      let at = 0;
      for (let i = 0; i < 3; i++) at = pickleOps(bytes, at).pop()!.end;
      const objEnd = pickleOps(bytes, at).pop()!.end;
      const keysEnd = pickleOps(bytes, objEnd).pop()!.end;
      const keys = unpickle(bufferInput(bytes.subarray(objEnd, keysEnd), 'keys'), () => null) as string[];
      const ranges: Seed['ranges'] = [];
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let pos = keysEnd;
      for (const key of keys) {
        const n = Number(v.getBigInt64(pos, true));
        ranges.push({ start: pos + 8, end: pos + 8 + n * itemSize.get(key)!, key });
        pos += 8 + n * itemSize.get(key)!;
      }
      out.push({
        name,
        format: 'legacy',
        bytes,
        pickle: bytes.slice(at, objEnd),
        records: [],
        legacy: { head: bytes.slice(0, at), keys: bytes.slice(objEnd, keysEnd), storages: bytes.slice(keysEnd) },
        ranges,
        storageOf,
      });
    }
  }
  seedCache = { seeds: out, expected };
  return seedCache;
}

// ---- mutations

interface Mutant {
  bytes: Uint8Array;
  /** What was done, for the failure message. */
  what: string;
  /** Storage keys whose bytes the mutation changed (their tensors may load different values). */
  touched?: Set<string>;
}

const INT_OPS = new Set<number>([OP.BININT1, OP.BININT2, OP.BININT, OP.LONG1]);
const STRING_OPS = new Set<number>([OP.BINUNICODE, OP.SHORT_BINUNICODE, OP.BINUNICODE8]);

function intValue(p: Uint8Array, o: PickleOp): bigint {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (o.op === OP.BININT1) return BigInt(p[o.arg]!);
  if (o.op === OP.BININT2) return BigInt(v.getUint16(o.arg, true));
  if (o.op === OP.BININT) return BigInt(v.getInt32(o.arg, true));
  let x = 0n;
  const n = p[o.arg]!;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(p[o.arg + 1 + i]!);
  return n && p[o.arg + n]! & 0x80 ? x - (1n << BigInt(8 * n)) : x;
}

function stringValue(p: Uint8Array, o: PickleOp): string {
  const w = o.op === OP.SHORT_BINUNICODE ? 1 : o.op === OP.BINUNICODE ? 4 : 8;
  return new TextDecoder().decode(p.subarray(o.arg + w, o.end));
}

/** Edge values for an integer of value v: zero, off by one, sign, 32/53/63/64-bit boundaries. */
function edgeInts(v: bigint): bigint[] {
  return [
    0n,
    1n,
    2n,
    v - 1n,
    v + 1n,
    2n * v,
    v * 1000n,
    -1n,
    -(2n ** 31n),
    2n ** 31n - 1n,
    2n ** 31n,
    2n ** 32n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 63n,
    -(2n ** 63n),
    2n ** 64n,
  ];
}

/** The object pickle's opcodes, without protocol 4's frames (so edits need not fix frame lengths). */
function editable(seed: Seed): { p: Uint8Array; ops: PickleOp[] } {
  const p = unframe(seed.pickle);
  return { p, ops: pickleOps(p) };
}

/** Inserts `value` as one more entry of the root dict (`key`: value), just before the final STOP. */
function withRootEntry(seed: Seed, key: string, value: Uint8Array): Uint8Array {
  const { p } = editable(seed);
  return rebuild(seed, { pickle: concat(p.subarray(0, p.byteLength - 1), binunicode(key), value, pk(OP.SETITEM, OP.STOP)) });
}

/** Inserts raw opcodes at a random opcode boundary of the object pickle (after PROTO). */
function insertAtRandom(rng: Rng, seed: Seed, insert: Uint8Array): { bytes: Uint8Array; at: number } {
  const { p, ops } = editable(seed);
  const at = ops[1 + rng.int(ops.length - 1)]!.pos;
  return { bytes: rebuild(seed, { pickle: splice(p, at, at, insert) }), at };
}

const nested = (n: number): Uint8Array => {
  // n empty lists, each appended to the one below: [[[...]]], n deep.
  const b = new Uint8Array(2 * n - 1);
  b.fill(OP.EMPTY_LIST, 0, n);
  b.fill(OP.APPEND, n);
  return b;
};
const repeat = (unit: Uint8Array, n: number): Uint8Array => {
  const out = new Uint8Array(unit.byteLength * n);
  for (let i = 0; i < n; i++) out.set(unit, i * unit.byteLength);
  return out;
};
const marks = (n: number, close: number | undefined): Uint8Array => {
  const b = new Uint8Array(close === undefined ? n : 2 * n);
  b.fill(OP.MARK, 0, n);
  if (close !== undefined) b.fill(close, n);
  return b;
};
const nones = (n: number): Uint8Array => new Uint8Array(n).fill(OP.NONE);

/** Edits fields of a zip written by writeZip: `at` is a byte offset, `width` 2 or 4. */
function setField(bytes: Uint8Array, at: number, width: 2 | 4, value: number): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (width === 2) v.setUint16(at, value & 0xffff, true);
  else v.setUint32(at, value >>> 0, true);
}

interface Kind {
  name: string;
  formats: ('zip' | 'legacy')[];
  /** The i-th case of this kind: kinds with variants take variant i modulo their count, so each one runs. */
  make(rng: Rng, seed: Seed, i: number): Mutant;
}

const both: ('zip' | 'legacy')[] = ['zip', 'legacy'];

/**
 * The mutation kinds. Each runs PER_KIND times, on the seeds of the formats it applies to.
 * Kinds that edit the object pickle rebuild the file around it (a zip with fresh CRCs, a legacy
 * file with the same storages), so the edit reaches the unpickler instead of a CRC check.
 */
const KINDS: Kind[] = [
  {
    // 1–8 random bit flips anywhere in the original file (headers, pickle, CRCs, tensor bytes).
    name: 'flip',
    formats: both,
    make(rng, seed) {
      const bytes = seed.bytes.slice();
      const flips = 1 + rng.int(8);
      const touched = new Set<string>();
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const p = rng.int(bytes.byteLength);
        bytes[p]! ^= 1 << rng.int(8);
        at.push(p);
        for (const r of seed.ranges) if (p >= r.start && p < r.end) touched.add(r.key);
      }
      return { bytes, what: `flip bits at ${at.join(',')}`, touched };
    },
  },
  {
    // One bit flip inside one storage's bytes: the file stays valid; only that storage's tensors change.
    name: 'flip-data',
    formats: both,
    make(rng, seed) {
      const bytes = seed.bytes.slice();
      const r = rng.pick(seed.ranges);
      const p = r.start + rng.int(r.end - r.start);
      bytes[p]! ^= 1 << rng.int(8);
      return { bytes, what: `flip a bit of storage ${r.key} at ${p}`, touched: new Set([r.key]) };
    },
  },
  {
    // The file cut short at a random point (a partial download).
    name: 'truncate',
    formats: both,
    make(rng, seed) {
      const n = rng.int(seed.bytes.byteLength);
      return { bytes: seed.bytes.slice(0, n), what: `truncate to ${n} of ${seed.bytes.byteLength}` };
    },
  },
  {
    // 1–4 bit flips inside the object pickle only, the archive rebuilt around it (random garbage for the unpickler).
    name: 'flip-pickle',
    formats: both,
    make(rng, seed) {
      const { p } = editable(seed);
      const q = p.slice();
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) q[rng.int(q.byteLength)]! ^= 1 << rng.int(8);
      return { bytes: rebuild(seed, { pickle: q }), what: `flip ${flips} bits in the pickle` };
    },
  },
  {
    // One integer of the pickle (a storage's element count, a tensor's offset, a size, a stride)
    // rewritten to an edge value: 0, ±1, 2^31, 2^53, 2^63, -1...
    name: 'int',
    formats: both,
    make(rng, seed) {
      const { p, ops } = editable(seed);
      const o = rng.pick(ops.filter((x) => INT_OPS.has(x.op)));
      const old = intValue(p, o);
      const v = rng.pick(edgeInts(old));
      return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, pickleInt(v)) }), what: `integer at ${o.pos}: ${old} -> ${v}` };
    },
  },
  {
    // One integer replaced by another kind of value: None, a string, a float, a 100k-deep list.
    // (The float is 4.5: JavaScript cannot tell 4.0 from 4, so an integral float is read as an int,
    // a leniency PyTorch does not share; harmless, as every size and offset is still checked.)
    name: 'int-type',
    formats: both,
    make(rng, seed, i) {
      const { p, ops } = editable(seed);
      const o = rng.pick(ops.filter((x) => INT_OPS.has(x.op)));
      const choices: [string, Uint8Array][] = [
        ['None', pk(OP.NONE)],
        ['str', binunicode('4')],
        ['float 4.5', pk(OP.BINFLOAT, [0x40, 0x12, 0, 0, 0, 0, 0, 0])],
        ['True', pk(OP.NEWTRUE)],
        ['tuple', pk(OP.BININT1, 1, OP.TUPLE1)],
        ['deep list', nested(BIG)],
      ];
      const [name, value] = choices[i % choices.length]!;
      return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, value) }), what: `integer at ${o.pos} -> ${name}` };
    },
  },
  {
    // A storage class swapped: another element type (sizes no longer match the records), an unsupported one, a made-up one.
    name: 'storage-type',
    formats: both,
    make(rng, seed) {
      const { p, ops } = editable(seed);
      const targets = ops.filter(
        (o) =>
          (o.op === OP.GLOBAL && /^torch\n\w+Storage\n$/.test(new TextDecoder().decode(p.subarray(o.arg, o.end)))) ||
          (STRING_OPS.has(o.op) && /Storage$/.test(stringValue(p, o))),
      );
      const o = rng.pick(targets);
      const name = rng.pick([
        'HalfStorage',
        'LongStorage',
        'ByteStorage',
        'BoolStorage',
        'DoubleStorage',
        'BFloat16Storage',
        'ComplexFloatStorage',
        'QInt8Storage',
        'UntypedStorage',
        'Storage',
        'float32',
        'FloatStorage\0',
      ]);
      const replacement = o.op === OP.GLOBAL ? pk(`ctorch\n${name}\n`) : binunicode(name);
      return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, replacement) }), what: `storage type at ${o.pos} -> ${JSON.stringify(name)}` };
    },
  },
  {
    // A persistent id's parts rewritten: the storage key (another storage's, missing, '../0', too long,
    // not a string), the 'storage' tag, the location.
    name: 'storage-key',
    formats: both,
    make(rng, seed) {
      const { p, ops } = editable(seed);
      const keys = new Set(seed.storageOf.values());
      const targets = ops.filter((o) => STRING_OPS.has(o.op) && (keys.has(stringValue(p, o)) || ['storage', 'cpu'].includes(stringValue(p, o))));
      const o = rng.pick(targets);
      const choices: Uint8Array[] = [
        binunicode(rng.pick([...keys])),
        binunicode('9999'),
        binunicode(''),
        binunicode('../0'),
        binunicode('/etc/passwd'),
        binunicode('x'.repeat(65)),
        binunicode('data.pkl'),
        binunicode('module'),
        binunicode('cuda:0'),
        pickleInt(0),
        pk(OP.NONE),
      ];
      const r = rng.pick(choices);
      return {
        bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, r) }),
        what: `string '${stringValue(p, o)}' at ${o.pos} -> ${JSON.stringify(new TextDecoder().decode(r))}`,
      };
    },
  },
  {
    // An opcode declaring a huge length (2^31..2^64-1) with a few bytes behind it: BINUNICODE, BINBYTES,
    // BINSTRING (32-bit), BINUNICODE8, BINBYTES8, BYTEARRAY8, FRAME (64-bit), LONG4; inserted, or
    // written over the length of an existing string.
    name: 'huge-length',
    formats: both,
    make(rng, seed) {
      const u32s = [2 ** 31, 2 ** 32 - 1, 2 ** 31 + 7, 1 << 30];
      const u64s = [2n ** 31n, 2n ** 40n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n - 1n];
      const choices: [string, Uint8Array][] = [
        ['BINUNICODE', pk(OP.BINUNICODE, u32le(rng.pick(u32s)), 'abc')],
        ['BINBYTES', pk(OP.BINBYTES, u32le(rng.pick(u32s)), 'abc')],
        ['BINSTRING', pk(OP.BINSTRING, u32le(rng.pick(u32s)), 'abc')],
        ['BINUNICODE8', pk(OP.BINUNICODE8, u64le(rng.pick(u64s)), 'abc')],
        ['BINBYTES8', pk(OP.BINBYTES8, u64le(rng.pick(u64s)), 'abc')],
        ['BYTEARRAY8', pk(OP.BYTEARRAY8, u64le(rng.pick(u64s)), 'abc')],
        ['FRAME', pk(OP.FRAME, u64le(rng.pick(u64s)))],
        ['LONG4', pk(OP.LONG4, u32le(rng.pick([...u32s, 4097, 1 << 20])), 'abc')],
        ['SHORT_BINUNICODE', pk(OP.SHORT_BINUNICODE, 255, 'abc')],
      ];
      if (rng.next() < 0.3) {
        // Over an existing string's length (4 bytes; 1 for protocol 4's SHORT_BINUNICODE).
        const { p, ops } = editable(seed);
        const o = rng.pick(ops.filter((x) => x.op === OP.BINUNICODE || x.op === OP.SHORT_BINUNICODE));
        const q = p.slice();
        if (o.op === OP.BINUNICODE) q.set(u32le(rng.pick(u32s)), o.arg);
        else q[o.arg] = 255;
        return { bytes: rebuild(seed, { pickle: q }), what: `string length at ${o.pos} made huge` };
      }
      const [name, insert] = rng.pick(choices);
      const { bytes, at } = insertAtRandom(rng, seed, insert);
      return { bytes, what: `${name} with a huge length at ${at}` };
    },
  },
  {
    // A valid but large integer (LONG4 of 4096 bytes, the limit) pushed and popped: must still load.
    name: 'long-ok',
    formats: both,
    make(rng, seed) {
      const n = rng.pick([4096, 300, 9]);
      const { bytes, at } = insertAtRandom(rng, seed, concat(pk(OP.LONG4, u32le(n)), new Uint8Array(n).fill(0x7f), pk(OP.POP)));
      return { bytes, what: `a ${n}-byte LONG4 pushed and popped at ${at}` };
    },
  },
  {
    // Deep nesting, 100k levels: nested lists as the root or as a root entry, MARKs never closed,
    // MARK...LIST pairs, nested dicts, and a deep list handed to an allowlisted function (torch.device,
    // OrderedDict, torch.Size), whose error message must not recurse through it.
    name: 'deep',
    formats: both,
    make(rng, seed, i) {
      const functions = ['torch\ndevice', 'collections\nOrderedDict', 'torch\nSize', '__builtin__\nset', '_codecs\nencode'];
      const variant = i % (6 + functions.length);
      const root = (body: Uint8Array) => rebuild(seed, { pickle: concat(pk(0x80, 2), body, pk(OP.STOP)) });
      switch (variant) {
        case 0:
          return { bytes: root(nested(BIG)), what: '100k nested lists as the root' };
        case 1:
          return { bytes: withRootEntry(seed, 'deep', nested(BIG)), what: '100k nested lists as a root entry' };
        case 2:
          return { bytes: root(marks(BIG, undefined)), what: '100k MARKs, never closed' };
        case 3:
          return { bytes: root(marks(BIG, OP.LIST)), what: '100k MARK...LIST pairs' };
        case 4: {
          // d0 k d1 k d2 ... dN, then N SETITEMs: dicts nested 100k deep.
          const body = concat(repeat(pk(OP.EMPTY_DICT, OP.BININT1, 7), BIG), pk(OP.EMPTY_DICT), new Uint8Array(BIG).fill(OP.SETITEM));
          return { bytes: root(body), what: '100k nested dicts' };
        }
        case 5:
        case 6:
        case 7:
        case 8:
        case 9: {
          const fn = functions[variant - 5]!;
          return {
            bytes: withRootEntry(seed, 'deep', concat(pk(`c${fn}\n`), nested(BIG), pk(OP.TUPLE1, OP.REDUCE))),
            what: `${fn.replace('\n', '.')}(100k nested lists)`,
          };
        }
        default: {
          // A deep list as a storage's key in a persistent id.
          const { p, ops } = editable(seed);
          const keys = new Set(seed.storageOf.values());
          const o = rng.pick(ops.filter((x) => STRING_OPS.has(x.op) && keys.has(stringValue(p, x))));
          return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, nested(BIG)) }), what: 'a 100k-deep list as a storage key' };
        }
      }
    },
  },
  {
    // Wide containers: 200k items in one LIST, TUPLE, FROZENSET, set (ADDITEMS), list (APPENDS),
    // dict (SETITEMS), torch.Size; as a root entry.
    name: 'wide',
    formats: both,
    make(_rng, seed, i) {
      const n = 2 * BIG;
      const choices: [string, Uint8Array][] = [
        ['LIST', concat(pk(OP.MARK), nones(n), pk(OP.LIST))],
        ['TUPLE', concat(pk(OP.MARK), nones(n), pk(OP.TUPLE))],
        ['FROZENSET', concat(pk(OP.MARK), nones(n), pk(OP.FROZENSET))],
        ['ADDITEMS', concat(pk(OP.EMPTY_SET, OP.MARK), nones(n), pk(OP.ADDITEMS))],
        ['APPENDS', concat(pk(OP.EMPTY_LIST, OP.MARK), nones(n), pk(OP.APPENDS))],
        ['SETITEMS', concat(pk(OP.EMPTY_DICT, OP.MARK), concat(...Array.from({ length: n / 2 }, (_, i) => pk(OP.BININT, u32le(i), OP.NONE))), pk(OP.SETITEMS))],
        ['torch.Size', concat(pk('ctorch\nSize\n', OP.MARK), nones(n), pk(OP.TUPLE, OP.TUPLE1, OP.REDUCE))],
      ];
      const [name, value] = choices[i % choices.length]!;
      return { bytes: withRootEntry(seed, 'wide', value), what: `a ${n}-item ${name}` };
    },
  },
  {
    // Memo abuse: BINGET/LONG_BINGET of never-stored indices, LONG_BINPUT at 2^32-1 (valid, then
    // read back), GET/PUT with non-numbers, a list appended to itself, a dict holding itself, a slot
    // the pickle reuses overwritten with something else.
    name: 'memo',
    formats: both,
    make(rng, seed, i) {
      const variant = i % 7;
      const max = u32le(0xffffffff);
      switch (variant) {
        case 0: {
          const { bytes, at } = insertAtRandom(rng, seed, pk(OP.BINGET, 0xfe));
          return { bytes, what: `BINGET 254 (never stored) at ${at}` };
        }
        case 1: {
          const { bytes, at } = insertAtRandom(rng, seed, pk(OP.LONG_BINGET, max));
          return { bytes, what: `LONG_BINGET 2^32-1 (never stored) at ${at}` };
        }
        case 2: {
          // Store and read back at the largest index, then drop the copy: a valid pickle.
          return {
            bytes: withRootEntry(seed, 'memo', pk(OP.BININT1, 5, OP.LONG_BINPUT, max, OP.POP, OP.LONG_BINGET, max)),
            what: 'LONG_BINPUT/LONG_BINGET 2^32-1 (valid)',
          };
        }
        case 3:
          return {
            bytes: withRootEntry(seed, 'loop', pk(OP.EMPTY_LIST, OP.LONG_BINPUT, max, OP.LONG_BINGET, max, OP.APPEND)),
            what: 'a list appended to itself',
          };
        case 4:
          return {
            bytes: withRootEntry(seed, 'self', pk(OP.EMPTY_DICT, OP.LONG_BINPUT, max, OP.BININT1, 1, OP.LONG_BINGET, max, OP.SETITEM)),
            what: 'a dict that holds itself',
          };
        case 5: {
          const { bytes, at } = insertAtRandom(rng, seed, pk(rng.pick(['pabc\n', 'g-1\n', 'g99999999999999999999\n', 'p1e9\n'])));
          return { bytes, what: `PUT/GET with a bad index at ${at}` };
        }
        default: {
          // Overwrite a memo slot the pickle reads later (the storage class, the hooks' OrderedDict) with an int.
          const { p, ops } = editable(seed);
          // Each BINPUT names its slot; each MEMOIZE (protocol 4) takes the next one.
          const puts: [PickleOp, number][] = [];
          for (const o of ops) if (o.op === OP.BINPUT || o.op === OP.MEMOIZE) puts.push([o, o.op === OP.BINPUT ? p[o.arg]! : puts.length]);
          const [o, slot] = rng.pick(puts);
          const q = splice(p, o.end, o.end, concat(pk(OP.BININT1, 3), slot < 256 ? pk(OP.BINPUT, slot) : pk(OP.LONG_BINPUT, u32le(slot)), pk(OP.POP)));
          return { bytes: rebuild(seed, { pickle: q }), what: `memo slot ${slot} overwritten with 3 at ${o.end}` };
        }
      }
    },
  },
  {
    // Copy bombs: list(L), tuple(L), OrderedDict(pairs), set(L), torch.device(*L), bytes via
    // _codecs.encode(s), BUILD with a big state, numpy scalars of a dtype with a huge code, each
    // many times over one memoized 100k-item argument, the results kept: a 300 KB pickle asking
    // for billions of references (or of steps).
    name: 'copy-bomb',
    formats: both,
    make(_rng, seed, i) {
      let calls = 30_000;
      const variant = (['list', 'tuple', 'OrderedDict', 'set', 'device', 'encode', 'BUILD', 'numpy'] as const)[i % 8]!;
      let setup: Uint8Array;
      let each: Uint8Array;
      const mem = (i: number) => pk(OP.LONG_BINGET, u32le(i));
      const put = (i: number) => pk(OP.LONG_BINPUT, u32le(i), OP.POP);
      switch (variant) {
        case 'OrderedDict':
          // pairs = [(0, None), (1, None), ...]
          setup = concat(
            pk(OP.EMPTY_LIST, OP.MARK),
            concat(...Array.from({ length: BIG / 4 }, (_, i) => pk(OP.BININT, u32le(i), OP.NONE, OP.TUPLE2))),
            pk(OP.APPENDS),
            put(1),
            pk('ccollections\nOrderedDict\n'),
            put(2),
          );
          each = concat(mem(2), mem(1), pk(OP.TUPLE1, OP.REDUCE, OP.APPEND));
          break;
        case 'encode':
          setup = concat(binunicode('x'.repeat(BIG)), put(1), pk('c_codecs\nencode\n'), put(2), binunicode('latin1'), put(3));
          each = concat(mem(2), mem(1), mem(3), pk(OP.TUPLE2, OP.REDUCE, OP.APPEND));
          break;
        case 'device':
          setup = concat(pk(OP.MARK), new Uint8Array(BIG).fill(OP.NONE), pk(OP.TUPLE), put(1), pk('ctorch\ndevice\n'), put(2));
          each = concat(mem(2), mem(1), pk(OP.REDUCE, OP.APPEND));
          break;
        case 'BUILD':
          // One big dict as the state (attributes) of many argparse.Namespace objects.
          setup = concat(
            pk(OP.EMPTY_DICT, OP.MARK),
            concat(...Array.from({ length: BIG / 4 }, (_, i) => concat(binunicode(`a${i}`), pk(OP.NONE)))),
            pk(OP.SETITEMS),
            put(1),
            pk('cargparse\nNamespace\n'),
            put(2),
          );
          each = concat(mem(2), pk(OP.EMPTY_TUPLE, OP.REDUCE), mem(1), pk(OP.BUILD, OP.APPEND));
          break;
        case 'numpy':
          // A numpy dtype whose code is 200k characters ('f000...08'), matched against a pattern by each scalar.
          calls = 60_000;
          setup = concat(
            pk('cnumpy\ndtype\n'),
            binunicode(`f${'0'.repeat(2 * BIG)}8`),
            pk(OP.TUPLE1, OP.REDUCE),
            put(1),
            pk('cnumpy.core.multiarray\nscalar\n'),
            put(2),
          );
          each = concat(mem(2), mem(1), pk(OP.SHORT_BINBYTES, 8, [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], OP.TUPLE2, OP.REDUCE, OP.APPEND));
          break;
        default: {
          const fn = { list: '__builtin__\nlist', tuple: '__builtin__\ntuple', set: '__builtin__\nset' }[variant]!;
          setup = concat(pk(OP.EMPTY_LIST, OP.MARK), new Uint8Array(BIG).fill(OP.NONE), pk(OP.APPENDS), put(1), pk(`c${fn}\n`), put(2));
          each = concat(mem(2), mem(1), pk(OP.TUPLE1, OP.REDUCE, OP.APPEND));
        }
      }
      return {
        bytes: withRootEntry(seed, 'bomb', concat(setup, pk(OP.EMPTY_LIST), repeat(each, calls))),
        what: `${calls} x ${variant} of a memoized 100k-item argument`,
      };
    },
  },
  {
    // One random byte (any of the 256, valid opcode or not) inserted at an opcode boundary.
    name: 'op-insert',
    formats: both,
    make(rng, seed) {
      const b = rng.int(256);
      const { bytes, at } = insertAtRandom(rng, seed, pk(b));
      return { bytes, what: `byte 0x${b.toString(16)} inserted at ${at}` };
    },
  },
  {
    // One opcode (with its argument) deleted, or duplicated.
    name: 'op-delete-dup',
    formats: both,
    make(rng, seed) {
      const { p, ops } = editable(seed);
      const o = ops[1 + rng.int(ops.length - 1)]!;
      if (rng.next() < 0.5) return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end) }), what: `opcode 0x${o.op.toString(16)} at ${o.pos} deleted` };
      return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.pos, p.slice(o.pos, o.end)) }), what: `opcode 0x${o.op.toString(16)} at ${o.pos} doubled` };
    },
  },
  {
    // The expanded (stride-0) tensor's size made huge: 3 stored elements viewed as 3 x 2^20..2^50.
    name: 'expanded-size',
    formats: both,
    make(rng, seed) {
      const { p, ops } = editable(seed);
      const key = ops.findIndex((o) => STRING_OPS.has(o.op) && stringValue(p, o) === 'expanded');
      // After the key: the storage's element count, the offset, the two sizes, the two strides.
      const o = ops.slice(key).filter((x) => INT_OPS.has(x.op))[3]!;
      assert.equal(intValue(p, o), 4n, `${seed.name}: the expanded tensor's second size`);
      const v = rng.pick([2n ** 20n, 2n ** 31n, 2n ** 40n, 2n ** 50n]);
      return { bytes: rebuild(seed, { pickle: splice(p, o.pos, o.end, pickleInt(v)) }), what: `expanded tensor's size 4 -> ${v}` };
    },
  },
  {
    // Entry names: '../' (escaping the archive), absolute, backslashes, NUL, '..' inside, another
    // record's name (a duplicate), or a tensor record renamed away (missing).
    name: 'zip-name',
    formats: ['zip'],
    make(rng, seed) {
      const i = rng.int(seed.records.length);
      const old = seed.records[i]!.name;
      const prefix = old.split('/')[0]!;
      const name = rng.pick([
        '../evil',
        `../${old}`,
        `/${old}`,
        `/tmp/${old}`,
        old.replace('/', '\\'),
        `${old}\0`,
        `${prefix}/../${old}`,
        `${prefix}/./data.pkl`,
        rng.pick(seed.records).name,
        `${old}.moved`,
        `${prefix}/data.pkl`,
      ]);
      return {
        bytes: rebuild(seed, { records: seed.records.map((r, j) => (j === i ? { ...r, name } : r)) }),
        what: `entry ${old} renamed ${JSON.stringify(name)}`,
      };
    },
  },
  {
    // A second record with an existing name (other data), placed anywhere.
    name: 'zip-dup',
    formats: ['zip'],
    make(rng, seed) {
      const r = rng.pick(seed.records);
      const at = rng.int(seed.records.length + 1);
      const records = [...seed.records];
      records.splice(at, 0, { name: r.name, data: r.data.slice().reverse() });
      return { bytes: rebuild(seed, { records }), what: `duplicate of ${r.name} at position ${at}` };
    },
  },
  {
    // Absurd sizes in one entry's central directory header or local header: compressed/uncompressed
    // sizes of 0, ±1, 2^31, 0xfffffffe, 0xffffffff (zip64's marker, without a zip64 field).
    name: 'zip-sizes',
    formats: ['zip'],
    make(rng, seed) {
      const { bytes, layout } = writeZip(seed.records);
      const i = rng.int(seed.records.length);
      const size = seed.records[i]!.data.byteLength;
      const v = rng.pick([0, 1, size - 1, size + 1, size * 2, 2 ** 31, 0xfffffffe, 0xffffffff]);
      const [where, at] = rng.pick<[string, number]>([
        ['central compressed', layout.centrals[i]! + 20],
        ['central uncompressed', layout.centrals[i]! + 24],
        ['local compressed', layout.locals[i]! + 18],
        ['local uncompressed', layout.locals[i]! + 22],
      ]);
      if (rng.next() < 0.5) setField(bytes, at, 4, v);
      else {
        // Both sizes of the central header, so they still agree with each other.
        setField(bytes, layout.centrals[i]! + 20, 4, v);
        setField(bytes, layout.centrals[i]! + 24, 4, v);
        return { bytes, what: `entry ${seed.records[i]!.name}: both central sizes ${v}` };
      }
      return { bytes, what: `entry ${seed.records[i]!.name}: ${where} size ${v}` };
    },
  },
  {
    // Offsets past the end: an entry's local header offset, the directory's offset, size and entry
    // count in the end record, a comment length longer than what follows.
    name: 'zip-offsets',
    formats: ['zip'],
    make(rng, seed) {
      const { bytes, layout } = writeZip(seed.records);
      const i = rng.int(seed.records.length);
      const n = bytes.byteLength;
      const edits: [string, number, 2 | 4, number][] = [
        [
          'local header offset',
          layout.centrals[i]! + 42,
          4,
          rng.pick([n, n - 1, 0xfffffffe, layout.cdOffset, layout.locals[i]! + 1, layout.locals[(i + 1) % seed.records.length]!]),
        ],
        ['directory offset', layout.eocd + 16, 4, rng.pick([n, n + 1, 0xfffffffe, 0, layout.cdOffset + 1, layout.cdOffset - 1])],
        ['directory size', layout.eocd + 12, 4, rng.pick([0, 1, layout.cdSize - 1, layout.cdSize + 1, 0xfffffffe])],
        ['entry count', layout.eocd + 10, 2, rng.pick([0, 1, seed.records.length - 1, seed.records.length + 1, 0xfffe])],
        ['comment length', layout.eocd + 20, 2, rng.pick([1, 0xffff])],
      ];
      const [what, at, w, v] = rng.pick(edits);
      setField(bytes, at, w, v);
      return { bytes, what: `${what} ${v}` };
    },
  },
  {
    // Zip64: end records whose entry count, directory size or offset are absurd (2^53, 2^60,
    // 2^64-1), a locator pointing past the end or at the wrong record, and entries whose zip64
    // extra field holds absurd sizes or offsets (or is too short). The valid zip64 form must load.
    name: 'zip64',
    formats: ['zip'],
    make(rng, seed, n) {
      const huge = [2n ** 53n, 2n ** 53n - 1n, 2n ** 60n, 2n ** 64n - 1n, 2n ** 32n];
      const variant = n % 6;
      if (variant === 0) return { bytes: writeZip(seed.records, {}).bytes, what: 'valid zip64 end records' };
      if (variant === 1) return { bytes: writeZip(seed.records, { count: rng.pick([...huge, 0n, 100n]) }).bytes, what: 'zip64 entry count' };
      if (variant === 2) return { bytes: writeZip(seed.records, { cdOffset: rng.pick(huge) }).bytes, what: 'zip64 directory offset' };
      if (variant === 3) return { bytes: writeZip(seed.records, { cdSize: rng.pick([...huge, 0n]) }).bytes, what: 'zip64 directory size' };
      if (variant === 4) return { bytes: writeZip(seed.records, { recordOffset: rng.pick([...huge, 0n, 1n]) }).bytes, what: 'zip64 locator offset' };
      // An entry's sizes and offset through a zip64 extra field.
      const i = rng.int(seed.records.length);
      const r = seed.records[i]!;
      const field = rng.pick(['size', 'compressedSize', 'offset'] as const);
      const value = rng.pick([...huge, BigInt(r.data.byteLength)]);
      const short = rng.next() < 0.2;
      const extra = short ? pk(u16le(1), u16le(4), u32le(7)) : pk(u16le(1), u16le(8), u64le(value));
      const records = seed.records.map((x, j) => (j === i ? { ...x, central: { extra, [field]: 0xffffffff } } : x));
      return { bytes: writeZip(records).bytes, what: `entry ${r.name}: zip64 ${field} ${short ? '(short field)' : value}` };
    },
  },
  {
    // Deflated records: valid (must load), inflating to more than declared, to less, or a corrupt stream;
    // the pickle or a tensor record.
    name: 'zip-deflate',
    formats: ['zip'],
    make(rng, seed, n) {
      const i = rng.pick(seed.records.map((r, j) => (r.name.endsWith('/version') ? -1 : j)).filter((j) => j >= 0));
      const r = seed.records[i]!;
      const variant = (['valid', 'more', 'less', 'corrupt', 'all'] as const)[n % 5]!;
      let rec: ZipRecord;
      if (variant === 'all') return { bytes: writeZip(seed.records.map((x) => ({ ...x, method: 8 as const }))).bytes, what: 'every record deflated (valid)' };
      if (variant === 'valid') rec = { ...r, method: 8 };
      else if (variant === 'more') rec = { ...r, method: 8, body: deflateRaw(concat(r.data, new Uint8Array(1 + rng.int(1 << 16)).fill(7))) };
      else if (variant === 'less') rec = { ...r, method: 8, body: deflateRaw(r.data.subarray(0, rng.int(r.data.byteLength))) };
      else {
        const body = deflateRaw(r.data);
        body[rng.int(body.byteLength)]! ^= 1 << rng.int(8);
        rec = { ...r, method: 8, body };
      }
      return {
        bytes: writeZip(seed.records.map((x, j) => (j === i ? rec : x))).bytes,
        what: `${r.name} deflated (${variant})`,
        touched: new Set([r.name.split('/').pop()!]),
      };
    },
  },
  {
    // Compression methods other than stored and deflated (bzip2, lzma, made-up), in the central header.
    name: 'zip-method',
    formats: ['zip'],
    make(rng, seed) {
      const i = rng.int(seed.records.length);
      const method = rng.pick([1, 9, 12, 14, 93, 99, 0xffff]);
      return {
        bytes: writeZip(seed.records.map((x, j) => (j === i ? { ...x, central: { method } } : x))).bytes,
        what: `${seed.records[i]!.name}: method ${method}`,
      };
    },
  },
  {
    // Local headers: a broken signature, a name or extra length of 0xffff (the data start moves past the
    // record), junk appended after the end record (must load), or prepended before the first header.
    name: 'zip-local',
    formats: ['zip'],
    make(rng, seed, n) {
      const { bytes, layout } = writeZip(seed.records);
      const i = rng.int(seed.records.length);
      const variant = n % 5;
      if (variant === 0) setField(bytes, layout.locals[i]!, 4, 0x04034b51);
      else if (variant === 1) setField(bytes, layout.locals[i]! + 26, 2, 0xffff);
      else if (variant === 2) setField(bytes, layout.locals[i]! + 28, 2, 0xffff);
      else if (variant === 3)
        return {
          bytes: concat(
            bytes,
            Uint8Array.from({ length: 1 + rng.int(100) }, () => rng.int(256)),
          ),
          what: 'junk after the end record',
        };
      else return { bytes: concat(pk('#!/bin/sh\nexit 0\n'), bytes), what: 'junk before the first header' };
      return { bytes, what: `local header of ${seed.records[i]!.name}: variant ${variant}` };
    },
  },
  {
    // Legacy format: one storage's 8-byte element count rewritten (0, ±1, 2^62, -1, 2^63-1).
    name: 'legacy-count',
    formats: ['legacy'],
    make(rng, seed) {
      const r = rng.pick(seed.ranges);
      const bytes = seed.bytes.slice();
      const v = new DataView(bytes.buffer);
      const n = v.getBigInt64(r.start - 8, true);
      const value = rng.pick([0n, n - 1n, n + 1n, 2n ** 62n, -1n, 2n ** 63n - 1n, -(2n ** 63n)]);
      v.setBigInt64(r.start - 8, value, true);
      return { bytes, what: `storage ${r.key}: element count ${n} -> ${value}` };
    },
  },
  {
    // Legacy format: the storage key list, rewritten: a key dropped, doubled, unknown, not a string, not a list.
    name: 'legacy-keys',
    formats: ['legacy'],
    make(_rng, seed, i) {
      const keys = unpickle(bufferInput(seed.legacy!.keys, 'keys'), () => null) as string[];
      const list = (items: Uint8Array[]) => concat(pk(0x80, 2, OP.EMPTY_LIST, OP.MARK), ...items, pk(OP.APPENDS, OP.STOP));
      const strs = (ks: string[]) => list(ks.map(binunicode));
      const choices: [string, Uint8Array][] = [
        ['one dropped', strs(keys.slice(1))],
        ['last dropped', strs(keys.slice(0, -1))],
        ['one doubled', strs([...keys, keys[0]!])],
        ['reversed', strs([...keys].reverse())],
        ['an unknown key', strs([...keys, '12345'])],
        ['an int', list([...keys.map(binunicode), pickleInt(3)])],
        ['a dict', pk(0x80, 2, OP.EMPTY_DICT, OP.STOP)],
        ['a deep list', concat(pk(0x80, 2), nested(BIG), pk(OP.STOP))],
        ['nothing', new Uint8Array(0)],
      ];
      const [what, keysPickle] = choices[i % choices.length]!;
      return { bytes: rebuild(seed, { keys: keysPickle }), what: `key list: ${what}` };
    },
  },
  {
    // Legacy format: the opening pickles: the magic number, the protocol version, the system info
    // (big-endian, not a dict), or an extra pickle between them.
    name: 'legacy-header',
    formats: ['legacy'],
    make(_rng, seed, i) {
      const head = seed.legacy!.head;
      let at = 0;
      const ends: number[] = [];
      for (let i = 0; i < 3; i++) ends.push((at = pickleOps(head, at).pop()!.end));
      const [magicEnd, versionEnd] = ends as [number, number, number];
      const rest = seed.bytes.subarray(head.byteLength);
      const choices: [string, Uint8Array][] = [
        ['magic + 1', concat(pk(0x80, 2), pickleInt(0x1950a86a20f9469cfc6dn), pk(OP.STOP), head.subarray(magicEnd), rest)],
        ['version 1000', concat(head.subarray(0, magicEnd), pk(0x80, 2, OP.BININT2, u16le(1000), OP.STOP), head.subarray(versionEnd), rest)],
        ["version '1001'", concat(head.subarray(0, magicEnd), pk(0x80, 2), binunicode('1001'), pk(OP.STOP), head.subarray(versionEnd), rest)],
        [
          'big-endian',
          concat(head.subarray(0, versionEnd), pk(0x80, 2, OP.EMPTY_DICT), binunicode('little_endian'), pk(OP.NEWFALSE, OP.SETITEM, OP.STOP), rest),
        ],
        ['system info a list', concat(head.subarray(0, versionEnd), pk(0x80, 2, OP.EMPTY_LIST, OP.STOP), rest)],
        ['an extra pickle', concat(head, pk(0x80, 2, OP.NONE, OP.STOP), rest)],
        ['no system info', concat(head.subarray(0, versionEnd), rest)],
      ];
      const [what, bytes] = choices[i % choices.length]!;
      return { bytes, what: `legacy header: ${what}` };
    },
  },
];

function deflateRaw(b: Uint8Array): Uint8Array {
  return new Uint8Array(deflateRawSync(b));
}

// ---- checking what PyTorch makes of the files finegrain loaded

// torch 1.13's weights_only unpickler knows protocol 2 only, so PyTorch loads the files through a
// pickle module whose find_class allows just what a state dict needs (these files are random
// mutations that finegrain loaded, which it does only when every global is on its allowlist).
const PY_CHECK = `
import sys, json, hashlib, pickle, types, torch, warnings
warnings.filterwarnings('ignore')
ALLOWED = {('collections', 'OrderedDict'), ('torch._utils', '_rebuild_tensor_v2'), ('torch._utils', '_rebuild_tensor'), ('torch._utils', '_rebuild_parameter')}
class Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in ALLOWED or (module == 'torch' and name.endswith('Storage') and name.isidentifier()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError('not allowed here: %s.%s' % (module, name))
restricted = types.ModuleType('restricted_pickle')
restricted.Unpickler = Restricted
restricted.load = lambda f, **kw: Restricted(f, **kw).load()
restricted.__name__ = 'restricted_pickle'
for path in json.load(open(sys.argv[1])):
    try:
        obj = torch.load(path, pickle_module=restricted, map_location='cpu', weights_only=False)
        if isinstance(obj, dict) and all(isinstance(k, str) and isinstance(t, torch.Tensor) for k, t in obj.items()):
            r = [[k, list(t.shape), str(t.dtype)[6:], hashlib.sha1(t.contiguous().numpy().tobytes()).hexdigest()] for k, t in obj.items()]
        else:
            r = 'not a flat state dict: ' + type(obj).__name__
    except BaseException as e:
        r = 'error: ' + repr(e)[:200]
    print(json.dumps([path, r]), flush=True)
`;

/** torch.load's view of each file: its summary, or why it did not load (a crash of Python included). */
function torchSummaries(paths: string[]): Map<string, Summary | string> {
  const list = tmp.path('loaded.json');
  writeFileSync(list, JSON.stringify(paths));
  let out: string;
  try {
    out = execFileSync(PYTHON, ['-', list], { input: PY_CHECK, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 26, timeout: 300_000 }).toString();
  } catch (e: any) {
    out = e.stdout?.toString() ?? ''; // Python died on a file: the ones it reported still count
  }
  const result = new Map<string, Summary | string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [path, r] = JSON.parse(line) as [string, Summary | string];
    result.set(path, typeof r === 'string' ? r : byKey(r));
  }
  for (const p of paths) if (!result.has(p)) result.set(p, 'error: python crashed on it');
  return result;
}

// ---- the run

test('seeds: finegrain reads every seed as PyTorch wrote it', { skip: oracleSkip() }, () => {
  const { seeds: all, expected } = seeds();
  for (const seed of all) {
    const loaded = scope(() => summarize(loadTorchCheckpoint(`${tmp.path('seeds')}/${seed.name}.pth`).tensors));
    assert.deepEqual(loaded, expected, seed.name);
    // The rebuilt (unframed, re-zipped) seed loads the same: the rebuild adds no difference of its own.
    const rebuilt = tmp.path(`rebuilt-${seed.name}.pth`);
    writeFileSync(rebuilt, rebuild(seed, { pickle: unframe(seed.pickle) }));
    assert.deepEqual(
      scope(() => summarize(loadTorchCheckpoint(rebuilt).tensors)),
      expected,
      `${seed.name} rebuilt`,
    );
  }
});

test(`fuzz: ${KINDS.length} mutation kinds x ${PER_KIND} cases end in an error or a correct load`, { skip: oracleSkip() }, (t) => {
  const { seeds: all, expected } = seeds();
  const dir = tmp.path('cases');
  mkdirSync(dir);
  const loaded: { path: string; label: string; summary: Summary; touched: Set<string>; seed: Seed }[] = [];
  const outcomes = new Map<string, Map<string, number>>();
  const count = (kind: string, outcome: string) => {
    const m = outcomes.get(kind) ?? new Map<string, number>();
    m.set(outcome, (m.get(outcome) ?? 0) + 1);
    outcomes.set(kind, m);
  };
  let slowest = { ms: 0, label: '' };
  let biggest = { bytes: 0, label: '' };
  const rss0 = process.memoryUsage().rss;
  let rssMax = rss0;
  let n = 0;
  for (const [k, kind] of KINDS.entries()) {
    if (ONLY && !ONLY.includes(kind.name)) continue;
    const candidates = all.filter((s) => kind.formats.includes(s.format));
    for (let i = 0; i < PER_KIND; i++, n++) {
      const rng = prng(1000 * k + i + 1);
      const seed = candidates[i % candidates.length]!;
      const m = kind.make(rng, seed, i);
      const label = `case ${n} (${kind.name} #${i} on ${seed.name}: ${m.what})`;
      const path = `${dir}/case-${n}.pth`;
      writeFileSync(path, m.bytes);
      const rssBefore = process.memoryUsage().rss;
      const t0 = performance.now();
      let summary: Summary | undefined;
      let error: unknown;
      try {
        summary = scope(() => summarize(loadTorchCheckpoint(path).tensors));
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, label };
      assert.ok(ms < CASE_LIMIT_MS, `${label} took ${ms.toFixed(0)} ms`);
      const rss = process.memoryUsage().rss;
      rssMax = Math.max(rssMax, rss);
      if (rss - rssBefore > biggest.bytes) biggest = { bytes: rss - rssBefore, label };
      if (summary) {
        count(kind.name, 'loaded');
        loaded.push({ path, label, summary, touched: m.touched ?? new Set(), seed });
        continue;
      }
      if (error instanceof TorchCheckpointError) {
        assert.ok(!error.message.includes('\n'), `${label}: a message of several lines: ${error.message}`);
        count(kind.name, error.code);
        assert.ok(error.message.includes(path), `${label}: the message does not name the file: ${error.message}`);
        continue;
      }
      // The only other acceptable ending: a plain Error that names the file.
      assert.ok(
        error instanceof Error && error.message.includes(path),
        `${label}: ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)}`,
      );
      count(kind.name, `Error: ${error.message.slice(0, 60)}`);
    }
  }
  const growth = rssMax - rss0;
  t.diagnostic(`RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB; the most in one case ${(biggest.bytes / 2 ** 20).toFixed(0)} MiB: ${biggest.label}`);
  assert.ok(growth < RSS_LIMIT, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB (the most in one case: ${biggest.label})`);

  // Every load must agree with PyTorch's, or (where PyTorch refuses the file) with the original.
  const torch = torchSummaries(loaded.map((l) => l.path));
  let agreed = 0;
  const lenient: string[] = [];
  for (const l of loaded) {
    const theirs = torch.get(l.path)!;
    if (typeof theirs !== 'string') {
      assert.deepEqual(l.summary, theirs, `${l.label}: finegrain and PyTorch load different tensors`);
      agreed++;
      continue;
    }
    lenient.push(`${l.label}: ${theirs.slice(0, 80)}`);
    assert.deepEqual(
      l.summary.map(([k, s, d]) => [k, s, d]),
      expected.map(([k, s, d]) => [k, s, d]),
      `${l.label}: PyTorch refuses it (${theirs}); finegrain loads other keys, shapes or dtypes`,
    );
    for (const [i, [k, , , sha]] of l.summary.entries()) {
      if (l.touched.has(l.seed.storageOf.get(k)!)) continue;
      assert.equal(sha, expected[i]![3], `${l.label}: '${k}' changed, but the mutation did not touch its bytes`);
    }
  }

  t.diagnostic(
    `${n} cases; ${loaded.length} loaded (${agreed} identical to torch.load, ${lenient.length} that torch.load refuses); slowest ${slowest.ms.toFixed(0)} ms: ${slowest.label}`,
  );
  for (const [kind, m] of outcomes) t.diagnostic(`${kind}: ${[...m].map(([o, c]) => `${o} ${c}`).join(', ')}`);
  for (const l of lenient) t.diagnostic(`lenient: ${l}`);
  // Each kind must reach both endings it is meant to test: the valid variants load, the rest are refused.
  if (ONLY) return;
  for (const kind of ['flip-data', 'long-ok']) assert.ok(outcomes.get(kind)?.get('loaded'), `${kind}: no case loaded`);
  assert.equal(n, KINDS.length * PER_KIND);
});
