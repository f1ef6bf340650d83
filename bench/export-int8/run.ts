/**
 * int8 export on cub100: accuracy and ONNX Runtime speed of the QDQ model against the fp32
 * export of the same weights, in one run.
 *
 * The model is the ImageNet MobileNetV2 import with only its classifier fitted on cub100's
 * training images (frozen features, softmax regression on the pooled embeddings, AdamW, full
 * batch) — a few minutes instead of a fine-tuning run. Both exports are evaluated on the
 * 2,999 test images at 224 px; int8 calibrates on 128 training images (percentile ranges).
 * Speed: ONNX Runtime (CPU, 2 intra-op threads), fp32 vs int8, batch 1 and 16, alternating
 * blocks, median images/s.
 *
 *   node scripts/run-bench.mjs export-int8 [--data ../shared/data/cub100] [--speed-rounds 5] [--method percentile|minmax]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { cubDataset } from '../../src/data/datasets/cub.js';
import type { ImageDataset } from '../../src/data/datasets/dataset.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { defaultPreprocessing } from '../../src/export/metadata.js';
import { encodeOnnxModel } from '../../src/export/onnx-write.js';
import { calibrationBatches } from '../../src/export/quantize/calibration-images.js';
import { quantizeGraphInt8 } from '../../src/export/quantize/quantize-int8.js';
import { loadPretrainedModel } from '../../src/models/pretrained/load-pretrained-model.js';
import { crossEntropy } from '../../src/nn/functional/loss.js';
import { AdamW } from '../../src/optim/adamw.js';
import { evalLoader } from '../../src/data/loader/eval-loader.js';
import { imagenetPreprocess } from '../../src/models/preprocess-config.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { fromTypedArray, zeros } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { argmaxRows } from '../../src/evaluation/top-classes.js';

const { values: opt } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/cub100' },
    'speed-rounds': { type: 'string', default: '5' },
    steps: { type: 'string', default: '300' },
    method: { type: 'string', default: 'percentile' },
  },
});
const SIZE = 224;
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function* batchesOf(ds: ImageDataset) {
  for await (const b of evalLoader(ds, { preprocess: imagenetPreprocess(SIZE), batchSize: 16, workers: 2 }).epoch(0)) {
    try {
      yield { data: b.images.toTypedArray() as Float32Array, dims: b.images.shape, labels: Array.from(b.labels!.toTypedArray() as BigInt64Array, Number) };
    } finally {
      b.dispose();
    }
  }
}

const train = cubDataset(opt.data!, { split: 'train' });
const test = cubDataset(opt.data!, { split: 'test' });
const C = train.classes.length;
const model = loadPretrainedModel('mobilenet_v2', { numClasses: C });
model.eval();

// 1. Embeddings of the training images (fp32 export, embedding output) and the classifier fit.
const fp32Graph = exportOnnx(model, { imageSize: SIZE });
const fp32Bytes = encodeOnnxModel(fp32Graph);
const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
const session = await ort.InferenceSession.create(fp32Bytes, opts);
const feats: number[] = [];
const labels: number[] = [];
log(`embedding ${train.samples.length} training images`);
for await (const b of batchesOf(train)) {
  const out = await session.run({ input: new ort.Tensor('float32', b.data, b.dims) }, ['embedding']);
  feats.push(...(out.embedding!.data as Float32Array));
  labels.push(...b.labels);
}
await session.release();
const D = model.numFeatures;
log(`fitting the classifier (${labels.length} x ${D} -> ${C})`);
const X = fromTypedArray(Float32Array.from(feats), [labels.length, D]);
const Y = fromTypedArray(BigInt64Array.from(labels.map(BigInt)), [labels.length]);
const W = zeros([C, D], { requiresGrad: true });
const B = zeros([C], { requiresGrad: true });
const optim = new AdamW([W, B], { lr: 0.01, weightDecay: 1e-3 });
let loss = 0;
for (let step = 0; step < Number(opt.steps); step++) {
  loss = scope(() => {
    optim.zeroGrad();
    const l = crossEntropy(X.matmul(W.t()).add(B), Y);
    l.backward();
    optim.step();
    return l.item() as number;
  });
}
log(`train loss ${loss.toFixed(3)}`);
noGrad(() => {
  const head = model.getSubmodule(model.classifierPath);
  (head as unknown as { weight: typeof W }).weight.copy_(W);
  (head as unknown as { bias: typeof B }).bias.copy_(B);
});

// 2. fp32 and int8 exports of the fitted model.
const graph = exportOnnx(model, { imageSize: SIZE });
const calib = await calibrationBatches(join(opt.data!, 'images'), { count: 128, preprocessing: defaultPreprocessing(SIZE) });
log('calibrating int8');
const t0 = performance.now();
const method = opt.method === 'minmax' ? 'minmax' : 'percentile';
const int8Graph = await quantizeGraphInt8(graph, calib, { method });
const quantizeSeconds = (performance.now() - t0) / 1000;
const models = { fp32: encodeOnnxModel(graph), int8: encodeOnnxModel(int8Graph) };
const sessions = { fp32: await ort.InferenceSession.create(models.fp32, opts), int8: await ort.InferenceSession.create(models.int8, opts) };

// 3. Test accuracy of both.
log(`evaluating on ${test.samples.length} test images`);
const correct = { fp32: 0, int8: 0 };
let agree = 0;
let n = 0;
for await (const b of batchesOf(test)) {
  const feed = { input: new ort.Tensor('float32', b.data, b.dims) };
  const rows = b.dims[0]!;
  const p32 = argmaxRows((await sessions.fp32.run(feed, ['logits'])).logits!.data as Float32Array, rows);
  const p8 = argmaxRows((await sessions.int8.run(feed, ['logits'])).logits!.data as Float32Array, rows);
  for (let i = 0; i < rows; i++) {
    correct.fp32 += Number(p32[i] === b.labels[i]);
    correct.int8 += Number(p8[i] === b.labels[i]);
    agree += Number(p32[i] === p8[i]);
  }
  n += rows;
}
const top1 = { fp32: correct.fp32 / n, int8: correct.int8 / n };
log(`top-1 fp32 ${(100 * top1.fp32).toFixed(2)}%, int8 ${(100 * top1.int8).toFixed(2)}% (agreement ${((100 * agree) / n).toFixed(1)}%)`);

// 4. Speed, alternating blocks.
const speed: Record<string, Record<string, number[]>> = { 1: { fp32: [], int8: [] }, 16: { fp32: [], int8: [] } };
const input = (bs: number) => ({
  input: new ort.Tensor(
    'float32',
    Float32Array.from({ length: bs * 3 * SIZE * SIZE }, (_, i) => calib[0]!.data[i % calib[0]!.data.length]!),
    [bs, 3, SIZE, SIZE],
  ),
});
for (let round = 0; round < Number(opt['speed-rounds']); round++) {
  for (const bs of [1, 16]) {
    const feed = input(bs);
    for (const kind of ['fp32', 'int8'] as const) {
      await sessions[kind].run(feed); // warm
      const iters = bs === 1 ? 20 : 3;
      const s = performance.now();
      for (let i = 0; i < iters; i++) await sessions[kind].run(feed);
      speed[bs]![kind]!.push((iters * bs) / ((performance.now() - s) / 1000));
    }
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rows = [1, 16].map((bs) => {
  const f = median(speed[bs]!.fp32!);
  const q = median(speed[bs]!.int8!);
  const ratios = speed[bs]!.fp32!.map((v, i) => speed[bs]!.int8![i]! / v);
  return { batch: bs, fp32ImagesPerSecond: f, int8ImagesPerSecond: q, speedupPaired: median(ratios) };
});
for (const r of rows)
  log(
    `batch ${r.batch}: fp32 ${r.fp32ImagesPerSecond.toFixed(1)} img/s, int8 ${r.int8ImagesPerSecond.toFixed(1)} img/s, int8/fp32 ${r.speedupPaired.toFixed(2)}x (paired median)`,
  );

const date = new Date().toISOString().slice(0, 10);
const result = {
  benchmark: 'export-int8',
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, onnxruntime: ort.env.versions.node },
  model: 'mobilenet_v2 (ImageNet import), classifier fitted on cub100 train embeddings',
  classifierFit: { steps: Number(opt.steps), trainLoss: loss },
  calibration: { images: 128, method: method === 'percentile' ? 'percentile 99.99' : 'minmax', seconds: quantizeSeconds },
  sizeBytes: { fp32: models.fp32.byteLength, int8: models.int8.byteLength },
  test: { images: n, top1, agreement: agree / n },
  speed: rows,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/export-int8-${method}-${date}.json`, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote bench/results/export-int8-${method}-${date}.json`);
for (const s of Object.values(sessions)) await s.release();
model.dispose();
