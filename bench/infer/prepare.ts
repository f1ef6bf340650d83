/**
 * What every bench/infer contender reads, written once per run into a scratch folder: the seeded
 * input batch (float32 [N, 3, S, S], raw little-endian) and, per model, its seeded random
 * weights (BatchNorm statistics measured on the input batch, see below) as safetensors (finegrain and PyTorch load this file) and finegrain's ONNX export of
 * them — fp32, and int8 (static QDQ, percentile ranges as `finegrain export --quantize int8`
 * uses by default) calibrated on a few images: cub100 training photos where
 * `../shared/data/cub100` is present, else the seeded input batch.
 *
 * @example
 *   const input = writeInputBatch(dir, 16, 224, 0);
 *   const files = await prepareModel(dir, 'resnet50', { size: 224, seed: 0, calibrationImages: 16, data: '../shared/data/cub100', input, inputCount: 16 });
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromTypedArray, manualSeed, noGrad, randn, saveSafetensors, scope } from '../../src/index.js';
import { createModel, type ImageClassifier } from '../../src/models/index.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { defaultPreprocessing } from '../../src/export/metadata.js';
import { writeOnnxFile } from '../../src/export/onnx-write.js';
import { calibrationBatches, type CalibrationBatch } from '../../src/export/quantize/calibration-images.js';
import { quantizeGraphInt8 } from '../../src/export/quantize/quantize-int8.js';

export const NUM_CLASSES = 1000;

/** The files one model's contenders read. */
export interface ModelFiles {
  weights: string;
  onnxFp32: string;
  onnxInt8: string;
  /** Where the int8 ranges came from. */
  calibration: string;
  seconds: { export: number; quantize: number };
}

/** Writes `count` seeded N(0, 1) images (the same for every contender) and returns the file. */
export function writeInputBatch(dir: string, count: number, size: number, seed: number): string {
  const path = join(dir, `input-${count}x3x${size}x${size}.f32`);
  manualSeed(seed);
  const data = scope(() => randn([count, 3, size, size]).toTypedArray() as Float32Array);
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return path;
}

/**
 * Gives a freshly initialised model the BatchNorm statistics of `x` (one training-mode pass,
 * cumulative averages), as training would. With the initial statistics (mean 0, variance 1)
 * a random mobilenet_v2's activations shrink layer by layer to subnormal floats (logits
 * ~1e-9), and subnormal arithmetic runs 10–30× slower on x86 — a benchmark of nothing real.
 * With measured statistics every BatchNorm's output has unit scale, as in a trained network.
 */
function measureBatchNormStatistics(model: ImageClassifier, x: Float32Array, dims: number[]): void {
  const bns = model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  for (const bn of bns) bn.momentum = null;
  model.train();
  noGrad(() => scope(() => model.forwardHead(model.forwardEmbedding(fromTypedArray(x, dims)))));
  for (const bn of bns) bn.momentum = 0.1;
  model.eval();
}

function inputBatches(path: string, count: number, size: number, batch: number): CalibrationBatch[] {
  const file = readFileSync(path);
  const bytes = new Float32Array(file.buffer, file.byteOffset, file.byteLength / 4);
  const per = 3 * size * size;
  const out: CalibrationBatch[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    out.push({ data: bytes.slice(i * per, (i + n) * per), dims: [n, 3, size, size] });
  }
  return out;
}

export async function prepareModel(
  dir: string,
  model: string,
  options: { size: number; seed: number; calibrationImages: number; data: string; input: string; inputCount: number },
): Promise<ModelFiles> {
  manualSeed(options.seed);
  const m = createModel(model, { numClasses: NUM_CLASSES });
  try {
    const file = readFileSync(options.input);
    const x = new Float32Array(file.buffer, file.byteOffset, file.byteLength / 4);
    measureBatchNormStatistics(m, x, [options.inputCount, 3, options.size, options.size]);
    const weights = join(dir, `${model}.safetensors`);
    saveSafetensors(weights, m.stateDict());
    let t = performance.now();
    const graph = exportOnnx(m, { imageSize: options.size });
    const onnxFp32 = join(dir, `${model}-fp32.onnx`);
    writeOnnxFile(onnxFp32, graph);
    const exportSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const images = join(options.data, 'images');
    const fromData = existsSync(images);
    const calib = fromData
      ? await calibrationBatches(images, { count: options.calibrationImages, preprocessing: defaultPreprocessing(options.size), batchSize: 8 })
      : inputBatches(options.input, Math.min(options.calibrationImages, options.inputCount), options.size, 8);
    const onnxInt8 = join(dir, `${model}-int8.onnx`);
    writeOnnxFile(onnxInt8, await quantizeGraphInt8(graph, calib, { method: 'percentile' }));
    const calibration = `${calib.reduce((n, b) => n + b.dims[0], 0)} ${fromData ? `images of ${images}` : 'images of the seeded input batch'}, percentile 99.99`;
    return { weights, onnxFp32, onnxInt8, calibration, seconds: { export: exportSeconds, quantize: (performance.now() - t) / 1000 } };
  } finally {
    m.dispose();
  }
}
