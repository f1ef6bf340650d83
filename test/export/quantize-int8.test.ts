// int8 QDQ quantisation of the ImageNet MobileNetV2 import, calibrated on cub100 images: structure, ONNX Runtime fuses every
// convolution into QLinearConv, and the int8 embeddings stay close to fp32's.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { defaultPreprocessing } from '../../src/export/metadata.js';
import { encodeOnnxModel } from '../../src/export/onnx-write.js';
import { calibrationBatches } from '../../src/export/quantize/calibration-images.js';
import { quantizeGraphInt8 } from '../../src/export/quantize/quantize-int8.js';
import { readOnnx } from '../../src/io/onnx/read.js';
import { loadPretrainedModel } from '../../src/models/pretrained/load-pretrained-model.js';
import { createModel } from '../../src/models/index.js';
import { manualSeed, randn, scope } from '../../src/index.js';

const IMAGES = '../shared/data/cub100/images';
const WEIGHTS = '../shared/weights/mobilenetv2-12-int8.onnx';
const skip = !existsSync(IMAGES) || !existsSync(WEIGHTS) ? `needs ${IMAGES} and ${WEIGHTS} (the shared data)` : false;

test('int8 QDQ: per-channel int8 weights, every convolution fused by ONNX Runtime, embeddings close to fp32', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-int8-'));
  const model = loadPretrainedModel('mobilenet_v2');
  try {
    const size = 96;
    const graph = exportOnnx(model, { imageSize: size });
    const batches = await calibrationBatches(IMAGES, { count: 32, preprocessing: defaultPreprocessing(size) });
    const q = await quantizeGraphInt8(graph, batches.slice(0, 1), { method: 'minmax' });
    const convs = graph.nodes.filter((n) => n.opType === 'Conv').length;
    // Weights: int8 with one scale per output channel.
    const w = q.initializers.get('features.0.0.weight_int8')!;
    assert.equal(w.dtype, 'int8');
    assert.equal(q.initializers.get('features.0.0.weight_scale')!.dims[0], w.dims[0]);
    assert.ok(q.nodes.filter((n) => n.opType === 'QuantizeLinear').length > convs / 2);
    assert.equal(graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length, 0, 'the float graph is left as it was');
    // An absorbed ReLU6 takes its calibrated range (capped at 6), not [0, 6] itself: fewer
    // outputs are quantised at scale 6/255 than there are ReLU6s.
    const relu6 = graph.nodes.filter((n) => n.opType === 'Clip').length;
    const atSix = q.nodes.filter((n) => n.opType === 'QuantizeLinear' && Math.abs(Number(q.initializers.get(n.inputs[1]!)!.data[0]!) - 6 / 255) < 1e-7).length;
    assert.ok(relu6 > 0 && atSix < relu6, `${atSix} of ${relu6} ReLU6 outputs at the fixed [0, 6] range`);
    for (const n of q.nodes.filter((n) => n.opType === 'QuantizeLinear'))
      assert.ok(Number(q.initializers.get(n.inputs[1]!)!.data[0]!) > 0, 'every activation scale is positive');

    const optimized = join(dir, 'opt.onnx');
    const s8 = await ort.InferenceSession.create(encodeOnnxModel(q), { optimizedModelFilePath: optimized, intraOpNumThreads: 1 });
    const s32 = await ort.InferenceSession.create(encodeOnnxModel(graph), { intraOpNumThreads: 1 });
    const { nodes: fused, initializers: fusedInits } = readOnnx(optimized);
    assert.equal(fused.filter((n) => n.opType === 'QLinearConv').length, convs, 'every convolution runs as QLinearConv');
    assert.equal(fused.filter((n) => n.opType === 'Conv').length, 0);
    // The head runs as a float-output QGemm and the pool as QLinearGlobalAveragePool: no weight
    // is dequantised on each pass, and the logits are not quantised.
    assert.equal(fused.filter((n) => n.opType === 'QGemm').length, 1, 'the classifier runs as QGemm');
    assert.equal(fused.filter((n) => n.opType === 'QLinearGlobalAveragePool').length, 1);
    for (const n of fused.filter((n) => n.opType === 'DequantizeLinear'))
      assert.ok(!fusedInits.has(n.inputs[0]!), `${n.name} dequantises a weight on every pass`);
    const logitsFrom = q.nodes.find((n) => n.outputs.includes('logits'))!.inputs[0]!;
    assert.equal(q.nodes.find((n) => n.outputs.includes(logitsFrom))!.opType, 'Gemm', 'the logits come straight from the Gemm');
    const b = batches[1]!;
    const feed = { input: new ort.Tensor('float32', b.data, b.dims) };
    const e32 = (await s32.run(feed)).embedding!.data as Float32Array;
    const e8 = (await s8.run(feed)).embedding!.data as Float32Array;
    const d = e32.length / b.dims[0];
    for (let i = 0; i < b.dims[0]; i++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let k = i * d; k < (i + 1) * d; k++) {
        dot += e32[k]! * e8[k]!;
        na += e32[k]! ** 2;
        nb += e8[k]! ** 2;
      }
      assert.ok(dot / Math.sqrt(na * nb) > 0.9, `image ${i}: int8 embedding cosine ${(dot / Math.sqrt(na * nb)).toFixed(3)}`);
    }
    await s8.release();
    await s32.release();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int8 QDQ: a ReLU absorbed after a Gemm that names the embedding (alexnet) leaves a valid graph, every Gemm fused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-int8-alexnet-'));
  manualSeed(0);
  const model = createModel('alexnet', { numClasses: 10 });
  try {
    const size = 64;
    const graph = exportOnnx(model, { imageSize: size });
    const x = scope(() => randn([2, 3, size, size]).toTypedArray() as Float32Array);
    const q = await quantizeGraphInt8(graph, [{ data: x, dims: [2, 3, size, size] }], { method: 'minmax' });
    const optimized = join(dir, 'opt.onnx');
    // Before the fix the embedding's Identity read the absorbed ReLU's removed output: ONNX Runtime refused the model.
    const s8 = await ort.InferenceSession.create(encodeOnnxModel(q), { optimizedModelFilePath: optimized, intraOpNumThreads: 1 });
    const fused = readOnnx(optimized).nodes;
    assert.equal(fused.filter((n) => n.opType === 'QGemm').length, 3, 'all three classifier products run as QGemm');
    assert.equal(fused.filter((n) => n.opType === 'Gemm').length, 0);
    const out = await s8.run({ input: new ort.Tensor('float32', x, [2, 3, size, size]) });
    const e = out.embedding!.data as Float32Array;
    assert.equal(e.length, 2 * 4096);
    assert.ok(
      e.every((v) => v >= 0),
      'the embedding is the ReLU output',
    );
    assert.equal(out.logits!.dims.join(','), '2,10');
    await s8.release();
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
