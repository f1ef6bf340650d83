// The ONNX reader (src/io/onnx) on models built in memory with onnx-proto's encoder, and
// dequantizeLinear against the operator's formula evaluated in plain JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { fromTypedArray, scope, tensor } from '../../src/index.js';
import { decodeOnnxTensor, dequantizeLinear, readOnnx } from '../../src/io/onnx/index.js';

const { onnx } = onnxProto;
const enc = new TextEncoder();

function modelBytes(initializer: onnxProto.onnx.ITensorProto[], node: onnxProto.onnx.INodeProto[] = []): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'finegrain-test',
    opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'g',
      node,
      initializer,
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

test('readOnnx decodes raw_data and every typed data field, nodes, attributes and graph I/O', () => {
  const floats = [1.5, -2.25, 3.125, 0];
  const int8 = [-128, -1, 0, 127, 5, -7];
  const uint8 = Uint8Array.from([0, 1, 200, 255]);
  const f16Bits = [0x3c00, 0xc000]; // 1.0 and -2.0 as IEEE half bit patterns
  const bytes = modelBytes(
    [
      { name: 'f', dataType: 1, dims: [2, 2], floatData: floats },
      { name: 'i8', dataType: 3, dims: [2, 3], int32Data: int8 },
      { name: 'u8', dataType: 2, dims: [4], rawData: uint8 },
      { name: 'i64', dataType: 7, dims: [3], int64Data: [-5, 0, 2 ** 40] },
      { name: 'h', dataType: 10, dims: [2], int32Data: f16Bits },
      { name: 'fraw', dataType: 1, dims: [2], rawData: new Uint8Array(Float32Array.from([0.5, -8]).buffer) },
    ],
    [
      {
        opType: 'Conv',
        name: 'c',
        input: ['x', 'f'],
        output: ['y'],
        attribute: [
          { name: 'group', type: 2, i: 4 },
          { name: 'pads', type: 7, ints: [1, 1, 1, 1] },
          { name: 'alpha', type: 1, f: 0.25 },
          { name: 'mode', type: 3, s: enc.encode('same') },
        ],
      },
    ],
  );
  const m = readOnnx(bytes);
  assert.equal(m.producer, 'finegrain-test');
  assert.deepEqual(m.opsets, { '': 12 });
  assert.deepEqual(m.inputs, [{ name: 'x', elemType: 1, dims: ['N', 3] }]);
  assert.deepEqual(m.outputs[0]!.dims, ['N', 2]);
  const get = (k: string) => m.initializers.get(k)!;
  assert.deepEqual([...get('f').data], floats);
  assert.deepEqual(get('f').dims, [2, 2]);
  assert.equal(get('i8').dtype, 'int8');
  assert.deepEqual([...get('i8').data], int8);
  assert.deepEqual([...get('u8').data], [...uint8]);
  assert.deepEqual([...get('i64').data], [-5n, 0n, 2n ** 40n]);
  assert.equal(get('h').dtype, 'float16');
  assert.deepEqual([...get('h').data], f16Bits);
  assert.deepEqual([...get('fraw').data], [0.5, -8]);
  const [node] = m.nodes;
  assert.equal(node!.opType, 'Conv');
  assert.deepEqual(node!.inputs, ['x', 'f']);
  assert.deepEqual(node!.attributes, { group: 4, pads: [1, 1, 1, 1], alpha: 0.25, mode: 'same' });
  // The finegrain tensor of a half initialiser reads back as the values the bits encode.
  scope(() => {
    const t = fromTypedArray(get('h').data, get('h').dims, { dtype: get('h').dtype });
    assert.deepEqual(t.to({ dtype: 'float32' }).toArray(), [1, -2]);
  });
});

test('readOnnx and decodeOnnxTensor reject what they cannot read, saying why', () => {
  assert.throws(() => readOnnx(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])), /not a valid ONNX model/);
  assert.throws(() => readOnnx(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7 })).finish()), /has no graph/);
  assert.throws(() => decodeOnnxTensor({ name: 'w', dataType: 1, dims: [3], floatData: [1, 2] }), /hold 3 elements, the data field has 2/);
  assert.throws(() => decodeOnnxTensor({ name: 'w', dataType: 1, dims: [3], rawData: new Uint8Array(8) }), /need 12 bytes, raw_data has 8/);
  assert.throws(() => decodeOnnxTensor({ name: 'w', dataType: 8, dims: [1] }), /element type string has no finegrain dtype/);
  assert.throws(() => decodeOnnxTensor({ name: 'w', dataType: 1, dims: [1], dataLocation: 1 }), /external file/);
});

test('dequantizeLinear: (q - zero_point) * scale, per tensor and per axis', () => {
  scope(() => {
    const q = [
      [-128, -3, 0, 127],
      [5, 6, 7, 8],
      [-1, 1, -100, 100],
    ];
    const scale = [0.5, 0.01, 3e-3];
    const zp = [1, -2, 0];
    const expected = q.map((row, c) => row.map((v) => (v - zp[c]!) * scale[c]!));
    const qt = tensor(q, { dtype: 'int8' });
    const perAxis = dequantizeLinear(qt, tensor(scale), tensor(zp, { dtype: 'int8' }), { axis: 0 });
    assert.equal(perAxis.dtype, 'float32');
    (perAxis.toArray() as number[][]).forEach((row, c) =>
      row.forEach((v, j) => assert.ok(Math.abs(v - expected[c]![j]!) <= 1e-6 * Math.abs(expected[c]![j]!) + 1e-12, `[${c}, ${j}]`)),
    );
    // Along the last axis (a MatMul weight [in, out] scaled per output column).
    const cols = dequantizeLinear(qt.t(), tensor(scale), tensor(zp, { dtype: 'int8' }), { axis: 1 });
    assert.deepEqual(cols.t().toArray(), perAxis.toArray());
    // One scale, no zero point (int32 biases): exact for values past float32's 24-bit mantissa.
    const big = dequantizeLinear(tensor([2 ** 30 + 1, -7], { dtype: 'int32' }), tensor([2 ** -10]));
    assert.deepEqual(big.toArray(), [Math.fround((2 ** 30 + 1) * 2 ** -10), -7 * 2 ** -10]);
    assert.throws(() => dequantizeLinear(qt, tensor([1, 2]), null, { axis: 0 }), /2 scales do not match axis 0 of shape \[3,4\]/);
  });
});
