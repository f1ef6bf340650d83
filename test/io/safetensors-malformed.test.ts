import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import {
  liveTensors,
  loadSafetensors,
  openSafetensors,
  parseSafetensors,
  SafetensorsError,
  saveSafetensors,
  scope,
  serializeSafetensors,
  zeros,
  type Tensor,
} from '../../src/index.js';
import { assertCode, rawFile, tempDir } from './safetensors-support.js';

const f32 = (shape: unknown[], begin: unknown, end: unknown) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes);
/** A file whose header is this JSON text (spaces allowed) and whose data section has `data` bytes. */
const file = (json: string, data = 0) => parse(rawFile(json, data));
const liveBefore = liveTensors();

test('a well-formed hand-made file loads (the baseline the cases below break)', () => {
  scope(() => {
    const { tensors, metadata } = parseSafetensors(
      rawFile('{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   ', new Uint8Array(new Float32Array([1.5, -2]).buffer)),
    );
    assert.deepEqual(tensors.a!.toArray(), [1.5, -2]);
    assert.deepEqual(metadata, { k: 'v' });
  });
});

test('the header length: too short, too large, past the end', () => {
  for (let n = 0; n < 8; n++) assertCode(parse(new Uint8Array(n)), 'HEADER_TOO_SMALL');
  const ok = JSON.stringify({ a: f32([1], 0, 4) });
  // Hostile lengths are refused before anything is allocated for them.
  for (const length of [2n ** 60n, 2n ** 64n - 1n, 100_000_001n]) assertCode(parse(rawFile(ok, 4, length)), 'HEADER_TOO_LARGE');
  assertCode(() => parseSafetensors(rawFile(ok, 4), { maxHeaderSize: 16 }), 'HEADER_TOO_LARGE');
  assertCode(parse(rawFile(ok, 4, BigInt(ok.length + 5))), 'INVALID_HEADER_LENGTH');
  assertCode(parse(rawFile(ok, 0, 1000n)), 'INVALID_HEADER_LENGTH');
  // A length one short cuts the JSON; one long takes a data byte into it.
  assertCode(parse(rawFile(ok, 4, BigInt(ok.length - 1))), 'INVALID_JSON');
  assertCode(parse(rawFile(ok, 4, BigInt(ok.length + 1))), 'INVALID_JSON');
  // The same through the file readers, which take the length from disk.
  const { path, cleanup } = tempDir();
  try {
    writeFileSync(path('huge'), rawFile(ok, 4, 2n ** 60n));
    assertCode(() => loadSafetensors(path('huge')), 'HEADER_TOO_LARGE');
    assertCode(() => openSafetensors(path('huge')), 'HEADER_TOO_LARGE');
    writeFileSync(path('short'), new Uint8Array(3));
    assertCode(() => openSafetensors(path('short')), 'HEADER_TOO_SMALL');
    writeFileSync(path('past'), rawFile(ok, 0, 10_000n));
    assertCode(() => loadSafetensors(path('past')), 'INVALID_HEADER_LENGTH');
  } finally {
    cleanup();
  }
});

test('the header text: UTF-8, a leading brace, strict JSON', () => {
  const utf8 = new TextEncoder().encode(JSON.stringify({ 'caf\u00e9': f32([1], 0, 4) }));
  const broken = utf8.slice();
  broken[broken.indexOf(0xc3)] = 0xff; // a byte that never occurs in UTF-8
  assertCode(parse(rawFile(broken, 4)), 'INVALID_UTF8');
  const overlong = utf8.slice();
  overlong.set([0xc0, 0xaf], overlong.indexOf(0xc3)); // an overlong '/'
  assertCode(parse(rawFile(overlong, 4)), 'INVALID_UTF8');

  const body = JSON.stringify({ a: f32([1], 0, 4) });
  for (const start of [' ' + body, '\ufeff' + body, '\n' + body, '', '[]', '"text"', '42', 'null']) {
    assertCode(file(start, 4), 'INVALID_HEADER_START');
  }
  for (const text of [
    '{',
    '{"a":',
    '{"a" 1}',
    '{"a":{}',
    '{}}',
    '{} x',
    '{}\u0000',
    "{'a':1}",
    '{"a":01}',
    '{"a":1,}',
    '{"a":tru}',
    '{"a":"\u0001"}',
    '{"a":"\\x"}',
    '{"\\ud800":1}',
    '{"\\udc00x":1}',
    '{"a":-}',
    '{"a":1.}',
  ]) {
    assertCode(file(text), 'INVALID_JSON');
  }
  // Nesting is capped: a hostile header of deep brackets is an error, not a stack overflow.
  assertCode(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}', 4), 'INVALID_JSON');
  // Unknown fields are ignored, as the reference does; whitespace padding of every kind is JSON.
  scope(() => {
    assert.deepEqual(
      parseSafetensors(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":[[{"x":null}]]}}\t\r\n  ', 4)).tensors.a!.shape,
      [1],
    );
    assert.deepEqual(parseSafetensors(rawFile('{}', 0)).tensors, {});
  });
});

test('duplicate keys are refused', () => {
  assertCode(file('{"a":' + JSON.stringify(f32([1], 0, 4)) + ',"a":' + JSON.stringify(f32([1], 4, 8)) + '}', 8), 'DUPLICATE_KEY');
  // The same name spelled with an escape is the same key.
  assertCode(file('{"a":' + JSON.stringify(f32([1], 0, 4)) + ',"\\u0061":' + JSON.stringify(f32([1], 4, 8)) + '}', 8), 'DUPLICATE_KEY');
  assertCode(file('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), 'DUPLICATE_KEY');
  assertCode(file('{"__metadata__":{},"__metadata__":{}}'), 'DUPLICATE_KEY');
});

test('metadata must map strings to strings', () => {
  for (const m of ['[]', '"x"', '1', '{"k":1}', '{"k":null}', '{"k":["v"]}', '{"k":{"n":"v"}}']) {
    assertCode(file(`{"__metadata__":${m}}`), 'INVALID_METADATA');
  }
  assert.deepEqual(parseSafetensors(rawFile('{"__metadata__":null}')).metadata, {});
});

test('tensor entries: structure, dtype, shape', () => {
  const entry = (e: unknown, data = 4) => file(JSON.stringify({ w: e }), data);
  for (const e of [
    1,
    'x',
    null,
    [],
    { shape: [1], data_offsets: [0, 4] },
    { dtype: 'F32', data_offsets: [0, 4] },
    { dtype: 'F32', shape: [1] },
    { dtype: 1, shape: [1], data_offsets: [0, 4] },
    { dtype: 'F32', shape: 1, data_offsets: [0, 4] },
    { dtype: 'F32', shape: [1], data_offsets: 0 },
  ]) {
    assertCode(entry(e), 'INVALID_TENSOR_INFO', 'w');
  }
  for (const d of ['F128', 'f32', 'FLOAT', '', 'F8']) assertCode(entry({ dtype: d, shape: [1], data_offsets: [0, 4] }), 'INVALID_DTYPE', 'w');
  for (const s of [[-1], [1.5], ['1'], [null], [[1]], [true]]) assertCode(entry(f32(s, 0, 4)), 'INVALID_SHAPE', 'w');
  // Integers must be written as integers, as serde_json requires: no fraction, no exponent, no minus.
  for (const s of ['[1.0]', '[1e0]', '[1E0]', '[-0]', '[9007199254740992]', '[18446744073709551616]']) {
    assertCode(file(`{"w":{"dtype":"F32","shape":${s},"data_offsets":[0,4]}}`, 4), 'INVALID_SHAPE', 'w');
  }
  // Element counts that overflow are refused even when a zero dimension follows (libtorch checks in order too).
  assertCode(entry(f32([2 ** 40, 2 ** 40, 0], 0, 0), 0), 'INVALID_SHAPE', 'w');
  // A zero dimension first is a plain empty tensor.
  scope(() => assert.deepEqual(parseSafetensors(rawFile({ w: f32([0, 2 ** 40], 0, 0) })).tensors.w!.shape, [0, 2 ** 40]));
  // Sub-byte dtypes must fill whole bytes.
  assertCode(entry({ dtype: 'F4', shape: [3], data_offsets: [0, 1] }, 1), 'MISALIGNED', 'w');
  assertCode(entry({ dtype: 'F6_E2M3', shape: [2], data_offsets: [0, 1] }, 1), 'MISALIGNED', 'w');
});

test('data offsets: integers, ordered, in range, tiling the data exactly', () => {
  const one = (offsets: string, data = 4) => file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}}`, data);
  for (const o of ['[0]', '[0,4,8]', '[]', '[-1,3]', '[0.0,4]', '[0,4.0]', '[0,4e0]', '["0",4]', '[0,null]', '[4,0]', '[0,18446744073709551620]']) {
    assertCode(one(o), 'INVALID_OFFSETS', 'w');
  }
  // Byte length against numel × itemsize.
  assertCode(one('[0,8]', 8), 'SIZE_MISMATCH', 'w');
  assertCode(one('[0,2]', 2), 'SIZE_MISMATCH', 'w');
  assertCode(file(JSON.stringify({ w: { dtype: 'I64', shape: [2, 3], data_offsets: [0, 24] } }), 24), 'SIZE_MISMATCH', 'w');
  // Past the end of the data section.
  assertCode(one('[0,4]', 3), 'OFFSET_OUT_OF_RANGE', 'w');
  assertCode(file(JSON.stringify({ a: f32([1], 0, 4), b: f32([2], 4, 12) }), 8), 'OFFSET_OUT_OF_RANGE', 'b');
  // Bytes no tensor owns: after the last tensor, or with no tensors at all.
  assertCode(one('[0,4]', 5), 'INCOMPLETE_BUFFER');
  assertCode(file('{}', 1), 'INCOMPLETE_BUFFER');
  // Overlaps, holes, and a first tensor that does not start at 0.
  assertCode(file(JSON.stringify({ a: f32([2], 0, 8), b: f32([2], 4, 12) }), 12), 'NON_CONTIGUOUS_OFFSETS', 'b');
  assertCode(file(JSON.stringify({ a: f32([1], 0, 4), b: f32([1], 8, 12) }), 12), 'NON_CONTIGUOUS_OFFSETS', 'b');
  assertCode(file(JSON.stringify({ a: f32([1], 4, 8) }), 8), 'NON_CONTIGUOUS_OFFSETS', 'a');
  assertCode(file(JSON.stringify({ a: f32([1], 0, 4), b: f32([1], 0, 4) }), 4), 'NON_CONTIGUOUS_OFFSETS');
  // Offsets need not be listed in order; sorted, they must tile.
  scope(() => {
    const t = parseSafetensors(rawFile({ b: f32([1], 4, 8), e: f32([0], 4, 4), a: f32([1], 0, 4) }, new Uint8Array(new Float32Array([7, 9]).buffer))).tensors;
    assert.deepEqual([t.a!.item(), t.b!.item(), t.e!.numel], [7, 9, 0]);
  });
});

test('dtypes finegrain lacks are named, and the rest of the file stays readable', () => {
  const { path, cleanup } = tempDir();
  try {
    writeFileSync(
      path('u16.safetensors'),
      rawFile({ ok: f32([1], 0, 4), u: { dtype: 'U16', shape: [2], data_offsets: [4, 8] }, f8: { dtype: 'F8_E4M3', shape: [3], data_offsets: [8, 11] } }, 11),
    );
    for (const name of ['u', 'f8']) assertCode(() => openSafetensors(path('u16.safetensors')).get(name), 'UNSUPPORTED_DTYPE', name);
    const e = assertCode(() => loadSafetensors(path('u16.safetensors')), 'UNSUPPORTED_DTYPE');
    assert.match(e.message, /U16|F8_E4M3/);
    scope(() => {
      const { tensors } = loadSafetensors(path('u16.safetensors'), { keys: ['ok'] });
      assert.deepEqual(Object.keys(tensors), ['ok']);
      const f = openSafetensors(path('u16.safetensors'));
      assert.equal(f.info('u').dtype, undefined);
      assert.equal(f.info('u').stDtype, 'U16');
      f.close();
    });
  } finally {
    cleanup();
  }
});

test('a file truncated after opening fails with UNEXPECTED_EOF', () => {
  const { path, cleanup } = tempDir();
  try {
    scope(() => saveSafetensors(path('t.safetensors'), { a: zeros([1000]) }));
    const f = openSafetensors(path('t.safetensors'));
    truncateSync(path('t.safetensors'), 100);
    assertCode(() => f.get('a'), 'UNEXPECTED_EOF');
    f.close();
  } finally {
    cleanup();
  }
});

test('the writer refuses what it cannot write', () => {
  scope(() => {
    const x = zeros([1]);
    const gone = zeros([1]);
    gone.dispose();
    assertCode(() => serializeSafetensors({ __metadata__: x }), 'INVALID_ARGUMENT', '__metadata__');
    assertCode(() => serializeSafetensors({ a: [1, 2] as unknown as Tensor }), 'INVALID_ARGUMENT', 'a');
    assertCode(() => serializeSafetensors({ a: gone }), 'INVALID_ARGUMENT', 'a');
    assertCode(() => serializeSafetensors({ ['bad\ud800']: x }), 'INVALID_ARGUMENT');
    assertCode(() => serializeSafetensors({ x }, { k: 1 as unknown as string }), 'INVALID_ARGUMENT');
    assertCode(() => serializeSafetensors({ x }, { ['\udc00']: 'v' }), 'INVALID_ARGUMENT');
    assertCode(() => serializeSafetensors(null as unknown as Record<string, Tensor>), 'INVALID_ARGUMENT');
    // Paired surrogates are fine.
    assert.ok(parseSafetensors(serializeSafetensors({ ['\ud83d\ude00']: x })).tensors['\ud83d\ude00']);
  });
});

test('errors are SafetensorsErrors with a code, and nothing leaked', () => {
  const e = assertCode(file(JSON.stringify({ 'layer.0.weight': f32([2], 0, 4) }), 4), 'SIZE_MISMATCH', 'layer.0.weight');
  assert.ok(e instanceof Error && e instanceof SafetensorsError);
  assert.equal(e.name, 'SafetensorsError');
  assert.match(e.message, /layer\.0\.weight.*needs 8 bytes.*hold 4/);
  // Huge names are cut short in messages.
  const long = 'n'.repeat(100_000);
  const e2 = assertCode(file(JSON.stringify({ [long]: f32([2], 0, 4) }), 4), 'SIZE_MISMATCH');
  assert.ok(e2.message.length < 400 && e2.tensor === long);
  assert.equal(liveTensors(), liveBefore);
});
