// Fuzzing the readers with 1,200 mutated files (seeded, so failures reproduce): bit flips,
// truncations, header-length rewrites and JSON edits of offsets, dtypes, shapes and numbers.
// Each file must either load, with exactly the bytes its header points at, or be refused
// with a SafetensorsError; the three readers (bytes, file, lazy) must agree; nothing may
// crash, hang, throw anything else, or leak a tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import {
  liveTensors,
  loadSafetensors,
  openSafetensors,
  parseSafetensors,
  SafetensorsError,
  scope,
  serializeSafetensors,
  tensor,
  zeros,
  randn,
  randint,
  manualSeed,
  type Tensor,
} from '../../src/index.js';
import { bytesOf, rawFile, tempDir } from './safetensors-support.js';
import { prng, type Rng } from '../support/prng.js';

const FILES = 1200;

function seeds(): Uint8Array[] {
  manualSeed(11);
  return scope(() => [
    serializeSafetensors({ w: randn([3, 4]), b: randn([4]).half(), n: randint(0, 9, [2], { dtype: 'int64' }), m: randn([5]).gt(0) }),
    serializeSafetensors(
      { s: tensor(1.5), e: zeros([0, 3]), bf: randn([2, 2]).bfloat16(), i8: randint(-5, 5, [3], { dtype: 'int8' }) },
      { epoch: '3', arch: 'tiny' },
    ),
    serializeSafetensors({
      d: randn([2], { dtype: 'float64' }),
      i16: randint(-5, 5, [2], { dtype: 'int16' }),
      i32: randint(-5, 5, [2, 1], { dtype: 'int32' }),
      u8: randint(0, 255, [3], { dtype: 'uint8' }),
    }),
    // By hand: name-ordered, unpadded, an unsupported dtype among supported ones.
    rawFile(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"U16","shape":[1],"data_offsets":[8,10]},"z":{"dtype":"I8","shape":[2],"data_offsets":[10,12]}}',
      12,
    ),
  ]);
}

function headerSpan(bytes: Uint8Array): [number, number] | undefined {
  if (bytes.byteLength < 8) return undefined;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) return undefined;
  return [8, 8 + Number(n)];
}

function withHeader(bytes: Uint8Array, text: string, keepLength = false): Uint8Array {
  const span = headerSpan(bytes)!;
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.byteLength + (bytes.byteLength - span[1]));
  out.set(bytes.subarray(0, 8));
  if (!keepLength) new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(bytes.subarray(span[1]), 8 + json.byteLength);
  return out;
}

const HUGE = [
  '9007199254740992',
  '18446744073709551615',
  '18446744073709551616',
  '100000000000000000000000',
  '1e400',
  '-1',
  '-0',
  '1.5',
  '2.0',
  '1e2',
  '0',
  '1',
  '4',
  '7',
  '8',
  '4294967296',
  '"4"',
  'null',
  'true',
  '[]',
  '{}',
];
const DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U8',
  'BOOL',
  'U16',
  'U32',
  'U64',
  'F8_E4M3',
  'F8_E5M2',
  'F4',
  'C64',
  'X',
  '',
  'f32',
  'F32 ',
];

/** One mutation; returns the new bytes and what was done. */
function mutate(rng: Rng, input: Uint8Array): [Uint8Array, string] {
  const bytes = input.slice();
  const span = headerSpan(bytes);
  const kind = rng.int(10);
  switch (kind) {
    case 9: {
      // bit flips in the data section: the file stays valid and must load the flipped bytes
      if (!span || span[1] >= bytes.byteLength) return [bytes, 'noop'];
      const at = span[1] + rng.int(bytes.byteLength - span[1]);
      bytes[at]! ^= 1 << rng.int(8);
      return [bytes, `data flip at ${at}`];
    }
    case 0: {
      // bit flips anywhere
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && bytes.byteLength; i++) bytes[rng.int(bytes.byteLength)]! ^= 1 << rng.int(8);
      return [bytes, `flip ${flips} bits`];
    }
    case 1: {
      // bit flips in the header
      if (!span) return [bytes, 'noop'];
      const at = span[0] + rng.int(span[1] - span[0]);
      bytes[at]! ^= 1 << rng.int(8);
      return [bytes, `header flip at ${at}`];
    }
    case 2: {
      // truncation
      const len = rng.int(bytes.byteLength + 1);
      return [bytes.subarray(0, len), `truncate to ${len}`];
    }
    case 3: {
      // extension
      const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      const out = new Uint8Array(bytes.byteLength + extra.byteLength);
      out.set(bytes);
      out.set(extra, bytes.byteLength);
      return [out, `append ${extra.byteLength}`];
    }
    case 4: {
      // header length rewrite
      const n = span ? BigInt(span[1] - 8) : 0n;
      const choices = [
        0n,
        1n,
        n - 1n,
        n + 1n,
        n + BigInt(1 + rng.int(64)),
        n - BigInt(1 + rng.int(64)),
        2n ** 60n,
        2n ** 64n - 1n,
        100_000_000n,
        100_000_001n,
        BigInt(rng.int(2 ** 31)),
        1n << BigInt(rng.int(64)),
      ];
      const v = rng.pick(choices);
      const w = v < 0n ? 0n : v;
      if (bytes.byteLength >= 8) new DataView(bytes.buffer).setBigUint64(0, w, true);
      return [bytes, `header length ${w}`];
    }
    case 5: {
      // replace a number in the header text
      if (!span) return [bytes, 'noop'];
      const text = new TextDecoder().decode(bytes.subarray(...span));
      const numbers = [...text.matchAll(/\d+/g)];
      if (!numbers.length) return [bytes, 'noop'];
      const m = rng.pick(numbers);
      const r = rng.next() < 0.5 ? rng.pick(HUGE) : String(Number(m[0]) + rng.pick([-8, -4, -2, -1, 1, 2, 4, 8]));
      return [withHeader(bytes, text.slice(0, m.index) + r + text.slice(m.index! + m[0].length), rng.next() < 0.3), `number ${m[0]} -> ${r}`];
    }
    case 6: {
      // replace a dtype
      if (!span) return [bytes, 'noop'];
      const text = new TextDecoder().decode(bytes.subarray(...span));
      const ds = [...text.matchAll(/"dtype":\s*"([^"]*)"/g)];
      if (!ds.length) return [bytes, 'noop'];
      const m = rng.pick(ds);
      const r = rng.pick(DTYPES);
      return [withHeader(bytes, text.slice(0, m.index) + `"dtype":"${r}"` + text.slice(m.index! + m[0].length)), `dtype ${m[1]} -> ${r}`];
    }
    case 7: {
      // structural JSON edits
      if (!span) return [bytes, 'noop'];
      const text = new TextDecoder().decode(bytes.subarray(...span));
      let header: Record<string, any>;
      try {
        header = JSON.parse(text);
      } catch {
        return [bytes, 'noop'];
      }
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      if (!names.length) return [bytes, 'noop'];
      const name = rng.pick(names);
      const e = header[name];
      const edit = rng.int(10);
      let what: string;
      switch (edit) {
        case 0:
          e.shape = [...e.shape, rng.pick([0, 1, 2, 3])];
          what = 'add dim';
          break;
        case 1:
          e.shape = e.shape.slice(1);
          what = 'drop dim';
          break;
        case 2:
          e.data_offsets = [e.data_offsets[1], e.data_offsets[0]];
          what = 'swap offsets';
          break;
        case 3:
          delete e[rng.pick(['dtype', 'shape', 'data_offsets'])];
          what = 'drop field';
          break;
        case 4:
          header[name] = rng.pick([null, 1, 'x', [], {}]);
          what = 'entry not object';
          break;
        case 5:
          header.__metadata__ = rng.pick([{ a: 1 }, [], 'm', { a: 'b' }, null]);
          what = 'metadata';
          break;
        case 6:
          e.shape = e.shape.map(() => rng.pick([-1, 0.5, 2 ** 53, 2 ** 62, 1e300, 1]));
          what = 'shape values';
          break;
        case 7:
          e.data_offsets = e.data_offsets.map((o: number) => rng.pick([o, o + 1, -1, 2 ** 53, 2 ** 64, 0.5]));
          what = 'offset values';
          break;
        case 8:
          header[names[0] === name ? `${name}_` : names[0]!] = { ...e };
          what = 'copy entry';
          break;
        default: {
          // a duplicate key, which JSON.stringify cannot write
          const dup = JSON.stringify(name) + ':' + JSON.stringify(e);
          return [withHeader(bytes, text.replace(/^\{/, `{${dup},`)), `duplicate ${name}`];
        }
      }
      const pad = rng.next() < 0.5 ? ' '.repeat(rng.int(9)) : '';
      return [withHeader(bytes, JSON.stringify(header) + pad), `${what} (${name})`];
    }
    default: {
      // insert or delete one character of the header
      if (!span) return [bytes, 'noop'];
      const text = new TextDecoder().decode(bytes.subarray(...span));
      const at = rng.int(text.length + 1);
      const edited =
        rng.next() < 0.5
          ? text.slice(0, at) + rng.pick(['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '0', '\u0000', 'é', '\ud800']) + text.slice(at)
          : text.slice(0, at) + text.slice(at + 1);
      return [withHeader(bytes, edited), `edit char at ${at}`];
    }
  }
}

type Outcome = { ok: true; summary: string } | { ok: false; code: string };

function summarize(tensors: Record<string, Tensor>): string {
  return JSON.stringify(
    Object.entries(tensors)
      .map(([k, t]) => [k, t.dtype, t.shape, Buffer.from(bytesOf(t)).toString('base64')])
      .sort(),
  );
}

/** Runs a reader; SafetensorsErrors become outcomes, anything else is a failure. */
function outcome(run: () => Record<string, Tensor>, where: string): Outcome {
  try {
    return scope(() => ({ ok: true as const, summary: summarize(run()) }));
  } catch (e) {
    if (e instanceof SafetensorsError) return { ok: false, code: e.code };
    throw new Error(`${where}: threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

/** Independent check of an accepted file: every tensor holds the bytes its header points at. */
function checkAccepted(bytes: Uint8Array, where: string): void {
  const [start, end] = headerSpan(bytes)!;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, end)));
  const size = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as Record<string, number>;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, any][];
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let at = 0;
  for (const [k, e] of entries) {
    const [b, f] = e.data_offsets;
    assert.equal(b, at, `${where}: accepted a file whose tensor ${k} does not follow on`);
    assert.equal(f - b, e.shape.reduce((x: number, y: number) => x * y, 1) * size[e.dtype]!, `${where}: accepted a size mismatch in ${k}`);
    at = f;
  }
  assert.equal(at, bytes.byteLength - end, `${where}: accepted a file with uncovered bytes`);
  scope(() => {
    const { tensors } = parseSafetensors(bytes);
    for (const [k, e] of entries) {
      const t = tensors[k]!;
      assert.deepEqual(t.shape, e.shape, `${where}: ${k} shape`);
      assert.deepEqual(bytesOf(t), bytes.subarray(end + e.data_offsets[0], end + e.data_offsets[1]), `${where}: ${k} bytes`);
    }
  });
}

test(`fuzz: ${FILES} mutated files load correctly or fail with a SafetensorsError`, { timeout: 300_000 }, (t) => {
  const bases = seeds();
  const before = liveTensors();
  const rng = prng(0xf17e);
  const { path, cleanup } = tempDir('fg-st-fuzz-');
  const tally = new Map<string, number>();
  try {
    for (let i = 0; i < FILES; i++) {
      const base = i % bases.length;
      let bytes = bases[base]!;
      const steps: string[] = [];
      const rounds = 1 + (rng.next() < 0.3 ? rng.int(3) : 0);
      for (let r = 0; r < rounds; r++) {
        const [next, what] = mutate(rng, bytes);
        bytes = next;
        steps.push(what);
      }
      const where = `file ${i} (seed ${base}: ${steps.join('; ')})`;
      const file = path(`f${i}.safetensors`);
      writeFileSync(file, bytes);

      const inMemory = outcome(() => parseSafetensors(bytes).tensors, `${where} parseSafetensors`);
      const fromFile = outcome(() => loadSafetensors(file).tensors, `${where} loadSafetensors`);
      const lazy = outcome(() => {
        const f = openSafetensors(file);
        try {
          return Object.fromEntries(f.keys().map((k) => [k, f.get(k)]));
        } finally {
          f.close();
        }
      }, `${where} openSafetensors`);
      assert.deepEqual(fromFile, inMemory, `${where}: file and memory readers disagree`);
      assert.deepEqual(lazy, inMemory, `${where}: lazy and eager readers disagree`);
      if (inMemory.ok) checkAccepted(bytes, where);
      const key = inMemory.ok ? 'loaded' : inMemory.code;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
  } finally {
    cleanup();
  }
  assert.equal(liveTensors(), before, 'tensors leaked');
  t.diagnostic(JSON.stringify(Object.fromEntries([...tally].sort((a, b) => b[1] - a[1]))));
  // The fuzzer must reach both outcomes and many distinct checks, or it tests little.
  assert.ok((tally.get('loaded') ?? 0) >= 80, 'too few mutated files loaded');
  assert.ok(tally.size >= 12, `only ${tally.size} outcomes reached`);
});
