import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  arange,
  empty,
  fromTypedArray,
  liveTensors,
  loadSafetensors,
  manualSeed,
  openSafetensors,
  parseSafetensors,
  randint,
  randn,
  saveSafetensors,
  scope,
  serializeSafetensors,
  tensor,
  zeros,
  type DType,
  type Tensor,
} from '../../src/index.js';
import { assertCode, assertSameTensor, bytesOf, rawFile, tempDir } from './safetensors-support.js';

const DTYPES: DType[] = ['float32', 'float16', 'bfloat16', 'float64', 'uint8', 'int8', 'int16', 'int32', 'int64', 'bool'];

/** Random values of each dtype, including the awkward ones: NaN, infinities, extremes. */
function sample(dtype: DType, shape: number[]): Tensor {
  return scope(() => {
    if (dtype === 'bool') return randn(shape).gt(0);
    if (dtype === 'uint8') return randint(0, 256, shape, { dtype });
    if (dtype === 'int8') return randint(-128, 128, shape, { dtype });
    if (dtype === 'int16') return randint(-32768, 32768, shape, { dtype });
    if (dtype === 'int32') return randint(-(2 ** 31), 2 ** 31 - 1, shape, { dtype });
    if (dtype === 'int64') {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = BigInt64Array.from({ length: n }, (_, i) => ((BigInt(i) * 0x9e3779b97f4a7c15n) % (1n << 63n)) - (i % 2 ? 1n << 62n : 0n));
      return fromTypedArray(v, shape);
    }
    const x = randn(shape, { dtype: 'float64' }).mul(1000);
    const n = x.numel;
    if (n >= 4) {
      const flat = x.view(-1);
      flat.select(0, 0).fill_(NaN);
      flat.select(0, 1).fill_(Infinity);
      flat.select(0, 2).fill_(-Infinity);
      flat.select(0, 3).fill_(-0);
    }
    return x.to({ dtype });
  });
}

test('every dtype round-trips bit-exactly through a file, bytes and the lazy reader', () => {
  manualSeed(1);
  const { path, cleanup } = tempDir();
  const before = liveTensors();
  try {
    scope(() => {
      const originals: Record<string, Tensor> = {};
      for (const d of DTYPES) originals[d] = sample(d, [3, 5]);
      saveSafetensors(path('all.safetensors'), originals);
      const viaFile = loadSafetensors(path('all.safetensors')).tensors;
      const viaBytes = parseSafetensors(serializeSafetensors(originals)).tensors;
      const lazy = openSafetensors(path('all.safetensors'));
      try {
        assert.deepEqual(Object.keys(viaFile).sort(), [...DTYPES].sort());
        for (const d of DTYPES) {
          assertSameTensor(viaFile[d]!, originals[d]!, `${d} (file)`);
          assertSameTensor(viaBytes[d]!, originals[d]!, `${d} (bytes)`);
          assertSameTensor(lazy.get(d), originals[d]!, `${d} (lazy)`);
          assert.equal(lazy.info(d).dtype, d);
        }
      } finally {
        lazy.close();
      }
      // The file and the serialised bytes are the same encoding.
      assert.deepEqual(new Uint8Array(readFileSync(path('all.safetensors'))), serializeSafetensors(originals));
    });
  } finally {
    cleanup();
  }
  assert.equal(liveTensors(), before, 'no tensor may outlive the scope');
});

test('empty tensors and scalars', () => {
  scope(() => {
    const cases: Record<string, Tensor> = {
      scalar: tensor(3.5),
      scalarInt: tensor(-7, { dtype: 'int64' }),
      scalarBool: tensor(true),
      empty0: zeros([0]),
      empty3d: zeros([3, 0, 2], { dtype: 'int16' }),
      emptyBf16: zeros([0, 4], { dtype: 'bfloat16' }),
    };
    const bytes = serializeSafetensors(cases);
    const back = parseSafetensors(bytes).tensors;
    for (const [k, t] of Object.entries(cases)) assertSameTensor(back[k]!, t, k);
    assert.equal(back.scalar!.item(), 3.5);
    assert.equal(back.scalarInt!.item(), -7);
    // Empty tensors own no bytes; their offsets are a zero-length range.
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    assert.equal(json.empty3d.data_offsets[0], json.empty3d.data_offsets[1]);
    assert.deepEqual(json.scalar.shape, []);
    // A file of nothing but empty tensors, and a file of no tensors at all.
    assert.deepEqual(Object.keys(parseSafetensors(serializeSafetensors({ e: zeros([0]) })).tensors), ['e']);
    const none = parseSafetensors(serializeSafetensors({}, { only: 'metadata' }));
    assert.deepEqual(none.tensors, {});
    assert.deepEqual(none.metadata, { only: 'metadata' });
  });
});

test('non-contiguous tensors are written in row-major order', () => {
  scope(() => {
    const x = arange(24, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 4);
    const views: Record<string, Tensor> = {
      transposed: x.transpose(0, 2), // [4, 3, 2]
      permuted: x.permute(1, 2, 0),
      strided: x.slice(2, 0, null, 2), // every other column
      expanded: tensor([1, 2, 3]).expand(4, 3), // stride 0
      selected: x.select(1, 1), // [2, 4], row stride 12
      channelsLast: randn([2, 3, 4, 5]).contiguous('channelsLast'),
    };
    for (const v of Object.values(views)) assert.equal(v.isContiguous(), false);
    const back = parseSafetensors(serializeSafetensors(views)).tensors;
    for (const [k, v] of Object.entries(views)) assertSameTensor(back[k]!, v.contiguous(), k);
    // Checked by index arithmetic too, independently of contiguous(): x[i][j][k] = 12i + 4j + k.
    const t = Array.from(back.transposed!.toTypedArray() as Float32Array);
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) expected.push(12 * i + 4 * j + k);
    assert.deepEqual(t, expected);
  });
});

test('layout: reference ordering, 8-byte aligned data, metadata', () => {
  scope(() => {
    const bytes = serializeSafetensors(
      {
        b: zeros([3], { dtype: 'uint8' }),
        a: zeros([1], { dtype: 'float32' }),
        c: zeros([1], { dtype: 'int64' }),
        d: zeros([1], { dtype: 'float64' }),
        aa: zeros([1], { dtype: 'bool' }),
        e: zeros([2], { dtype: 'float16' }),
        f: zeros([2], { dtype: 'bfloat16' }),
      },
      { framework: 'finegrain', 'ünïcode ✓': 'value "quoted"\n' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, 'header padded to 8 bytes');
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    assert.match(text, /^\{.*\} *$/s, 'padding is trailing spaces');
    const header = JSON.parse(text);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    // Descending alignment in the reference crate's enum order (I64 > F64 > F32 > BF16 > F16 > U8 > BOOL), then name.
    assert.deepEqual(names, ['c', 'd', 'a', 'f', 'e', 'b', 'aa']);
    for (const k of names) {
      const [begin] = header[k].data_offsets;
      const itemsize = { I64: 8, F64: 8, F32: 4, BF16: 2, F16: 2, U8: 1, BOOL: 1 }[header[k].dtype as string]!;
      assert.equal((8 + n + begin) % itemsize, 0, `${k} starts aligned in the file`);
    }
    assert.deepEqual(header.__metadata__, { framework: 'finegrain', 'ünïcode ✓': 'value "quoted"\n' });
    assert.deepEqual(parseSafetensors(bytes).metadata, header.__metadata__);
    const plain = serializeSafetensors({ x: zeros([1]) });
    const plainHeader = new TextDecoder().decode(plain.subarray(8, plain.byteLength - 4));
    assert.ok(!('__metadata__' in JSON.parse(plainHeader)), 'no metadata key without metadata');
  });
});

test('unusual names survive: unicode, quotes, control characters, __proto__, empty', () => {
  scope(() => {
    const names = ['ünï ✓ 𝔘', 'a"b\\c', 'tab\there\u0001', '__proto__', 'constructor', '', '0', '10', 'model.layer.0.weight'];
    const input: Record<string, Tensor> = {};
    names.forEach((n, i) => Object.defineProperty(input, n, { value: tensor([i]), enumerable: true }));
    const back = parseSafetensors(serializeSafetensors(input)).tensors;
    assert.deepEqual(Object.keys(back).sort(), [...names].sort());
    names.forEach((n, i) => assert.equal(Object.getOwnPropertyDescriptor(back, n)!.value.item(), i, n));
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
  });
});

test('keys, dtype and device options; the lazy reader reads only what it is asked', () => {
  const { path, cleanup } = tempDir();
  try {
    scope(() => {
      const w = randn([4, 4]);
      const steps = tensor([10], { dtype: 'int64' });
      saveSafetensors(path('m.safetensors'), { w, steps, h: randn([2]).half() });
      const some = loadSafetensors(path('m.safetensors'), { keys: ['w'] });
      assert.deepEqual(Object.keys(some.tensors), ['w']);
      assertCode(() => loadSafetensors(path('m.safetensors'), { keys: ['w', 'nope'] }), 'KEY_NOT_FOUND', 'nope');
      const half = loadSafetensors(path('m.safetensors'), { dtype: 'float16', device: 'cpu' }).tensors;
      assert.equal(half.w!.dtype, 'float16');
      assert.equal(half.steps!.dtype, 'int64', 'integer tensors keep their dtype');
      assert.deepEqual(half.w!.toArray(), w.half().toArray());
      assert.throws(() => loadSafetensors(path('m.safetensors'), { dtype: 'int32' }), /floating dtype/);

      const file = openSafetensors(path('m.safetensors'));
      assert.deepEqual(file.keys().sort(), ['h', 'steps', 'w']);
      assert.deepEqual(file.info('w'), { dtype: 'float32', stDtype: 'F32', shape: [4, 4], dataOffsets: file.info('w').dataOffsets });
      assert.equal(file.has('w') && !file.has('x'), true);
      assertCode(() => file.get('x'), 'KEY_NOT_FOUND', 'x');
      assertSameTensor(file.get('w'), w);
      assert.equal(file.get('w', { dtype: 'bfloat16' }).dtype, 'bfloat16');
      file.close();
      file.close();
      assert.throws(() => file.get('w'), /closed/);
    });
  } finally {
    cleanup();
  }
});

test('the lazy reader validates the header alone and reads tensors from the file on demand', () => {
  const { path, cleanup } = tempDir();
  try {
    scope(() => {
      // Tensor bytes written by hand, a different value per tensor; the header lists them out of offset order.
      const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
      const header = {
        b: { dtype: 'F32', shape: [3], data_offsets: [8, 20] },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        __metadata__: { k: 'v' },
      };
      writeFileSync(path('h.safetensors'), rawFile(JSON.stringify(header) + '   ', data));
      using file = openSafetensors(path('h.safetensors'));
      assert.deepEqual(file.keys(), ['a', 'b'], 'keys in offset order');
      assert.deepEqual(file.metadata, { k: 'v' });
      // Rewriting the bytes after opening shows that get() reads the file, not a cached copy.
      const changed = rawFile(JSON.stringify(header) + '   ', new Uint8Array(new Float32Array([1, 2, 30, 40, 50]).buffer));
      writeFileSync(path('h.safetensors'), changed);
      assert.deepEqual(file.get('b').toArray(), [30, 40, 50]);
      assert.deepEqual(file.get('a').toArray(), [1, 2]);
    });
  } finally {
    cleanup();
  }
});

test('saving is atomic: overwrites replace whole files, failures leave the old file and no temp files', () => {
  const { dir, path, cleanup } = tempDir();
  const before = liveTensors();
  try {
    scope(() => {
      const target = path('ckpt.safetensors');
      saveSafetensors(target, { x: tensor([1, 2, 3]) }, { v: '1' });
      saveSafetensors(target, { y: zeros([100]) }, { v: '2' });
      const loaded = loadSafetensors(target);
      assert.deepEqual(Object.keys(loaded.tensors), ['y']);
      assert.deepEqual(loaded.metadata, { v: '2' });
      assert.deepEqual(readdirSync(dir), ['ckpt.safetensors'], 'no temp file left after success');

      const old = readFileSync(target);
      // Invalid input is refused before anything is written.
      assertCode(() => saveSafetensors(target, { __metadata__: zeros([1]) }), 'INVALID_ARGUMENT');
      // A failure at the rename (the target is a directory) removes the temp file.
      mkdirSync(path('adir'));
      assert.throws(
        () => saveSafetensors(path('adir'), { x: zeros([1]) }),
        (e: any) => e.code === 'EISDIR' || e.code === 'ENOTEMPTY' || e.code === 'EEXIST',
      );
      // A missing directory fails at once.
      assert.throws(
        () => saveSafetensors(path('missing/x.safetensors'), { x: zeros([1]) }),
        (e: any) => e.code === 'ENOENT',
      );
      assert.deepEqual(readdirSync(dir).sort(), ['adir', 'ckpt.safetensors']);
      assert.deepEqual(readFileSync(target), old);
      assert.equal(existsSync(path('missing')), false);
    });
  } finally {
    cleanup();
  }
  assert.equal(liveTensors(), before);
});

test('a large tensor goes straight between file and tensor memory', () => {
  const { path, cleanup } = tempDir();
  try {
    scope(() => {
      // 24 MiB: larger than the writer's staging buffer, so it is written from tensor memory.
      const big = randn([6, 1024, 1024]);
      const small = randn([10]);
      const bigT = big.transpose(1, 2); // non-contiguous: written through a temporary
      saveSafetensors(path('big.safetensors'), { big, small, bigT });
      const back = loadSafetensors(path('big.safetensors')).tensors;
      assert.ok(back.big!.equal(big) && back.small!.equal(small));
      assert.ok(back.bigT!.isContiguous() && back.bigT!.equal(bigT));
      // Loaded tensors own ordinary, writable, contiguous memory.
      assert.ok(back.big!.isContiguous());
      back.big!.toTypedArrayView()[0] = 42;
      assert.equal(back.big!.view(-1).select(0, 0).item(), 42);
      const e = empty([0]);
      assert.equal(bytesOf(e).byteLength, 0);
    });
  } finally {
    cleanup();
  }
});

test(
  'loaded tensors free their memory on dispose, not at the next garbage collection',
  { skip: process.platform !== 'linux' && 'RSS check is Linux-only' },
  () => {
    const { path, cleanup } = tempDir();
    try {
      scope(() => saveSafetensors(path('m.safetensors'), { a: zeros([64, 1024, 1024], { dtype: 'uint8' }), b: zeros([64, 1024, 1024], { dtype: 'uint8' }) }));
      // Each round loads 128 MiB and disposes it; were anything (a JS view, say) to keep the
      // storage alive until a GC, resident memory would climb by 128 MiB a round.
      const rss = () => process.memoryUsage().rss / 2 ** 20;
      const start = rss();
      for (let i = 0; i < 6; i++) {
        scope(() => {
          loadSafetensors(path('m.safetensors'));
          const f = openSafetensors(path('m.safetensors'));
          f.get('a');
          f.close();
        });
      }
      const grown = rss() - start;
      assert.ok(grown < 200, `resident memory grew by ${grown.toFixed(0)} MiB over 6 load/dispose rounds of 192 MiB`);
    } finally {
      cleanup();
    }
  },
);
