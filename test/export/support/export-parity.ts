/**
 * The export parity check every architecture goes through: random weights (a fresh
 * classifier, so logits are not all zero), export, write, then ONNX Runtime (CPU) against
 * finegrain's eval output at batch sizes 1 and 3 — logits and embedding within 1e-4 of the
 * output's largest magnitude — plus the metadata round trip and the ONNX checker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { noGrad } from '../../../src/autograd/grad-mode.js';
import { exportOnnx } from '../../../src/export/export-onnx.js';
import { defaultPreprocessing, exportMetadata, parseExportMetadata } from '../../../src/export/metadata.js';
import { writeOnnxFile } from '../../../src/export/onnx-write.js';
import { readOnnxMetadataProps } from '../../../src/export/read-metadata.js';
import { createModel, type CreateModelOptions } from '../../../src/models/registry.js';
import { manualSeed } from '../../../src/runtime/settings.js';
import { randn } from '../../../src/tensor/creation.js';
import { scope } from '../../../src/tensor/scope.js';
import { checkOnnxFile, onnxCheckerAvailable } from './onnx-checker.js';

export interface ExportCase {
  name: string;
  /** Input side (default 64). */
  imageSize?: number;
  options?: CreateModelOptions;
  foldBatchNorm?: boolean;
}

const NUM_CLASSES = 5;

function relativeError(ref: Float32Array, got: Float32Array): number {
  assert.equal(got.length, ref.length);
  let peak = 0;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) {
    peak = Math.max(peak, Math.abs(ref[i]!));
    diff = Math.max(diff, Math.abs(ref[i]! - got[i]!));
  }
  assert.ok(peak > 0, 'reference output is all zeros: the comparison would prove nothing');
  return diff / peak;
}

export async function checkExportParity(c: ExportCase): Promise<void> {
  const size = c.imageSize ?? 64;
  manualSeed(0);
  const model = createModel(c.name, { numClasses: NUM_CLASSES, ...c.options });
  model.resetClassifier(NUM_CLASSES);
  model.eval();
  const dir = mkdtempSync(join(tmpdir(), 'fg-export-'));
  const path = join(dir, `${c.name}.onnx`);
  const classes = Array.from({ length: NUM_CLASSES }, (_, i) => `class ${i} «${c.name}»`);
  const calibration = JSON.stringify({ thresholds: { msp: 0.42 }, note: c.name });
  try {
    const inputs = [1, 3].map((n) => randn([n, 3, size, size]));
    const refs = noGrad(() =>
      inputs.map((x) =>
        scope(() => {
          const e = model.forwardEmbedding(x);
          return [model.forwardHead(e).toTypedArray() as Float32Array, e.toTypedArray() as Float32Array, e.shape[1]!] as const;
        }),
      ),
    );
    const graph = exportOnnx(model, { imageSize: size, ...(c.foldBatchNorm === undefined ? {} : { foldBatchNorm: c.foldBatchNorm }) });
    const preprocessing = defaultPreprocessing(size);
    writeOnnxFile(path, graph, exportMetadata({ model: c.name, classes, preprocessing, calibration, embeddingSize: refs[0]![2] }));
    model.dispose(); // ONNX Runtime's copy of the weights need not share memory with finegrain's
    const session = await ort.InferenceSession.create(path);
    try {
      assert.deepEqual(session.inputNames, ['input']);
      assert.deepEqual(session.outputNames, ['logits', 'embedding']);
      for (let k = 0; k < inputs.length; k++) {
        const x = inputs[k]!;
        const out = await session.run({ input: new ort.Tensor('float32', x.toTypedArray() as Float32Array, x.shape) });
        const n = x.shape[0]!;
        assert.deepEqual(out.logits!.dims, [n, NUM_CLASSES]);
        assert.deepEqual(out.embedding!.dims, [n, refs[k]![2]]);
        const el = relativeError(refs[k]![0], out.logits!.data as Float32Array);
        const ee = relativeError(refs[k]![1], out.embedding!.data as Float32Array);
        assert.ok(el <= 1e-4, `${c.name} batch ${n}: logits differ by ${el.toExponential(2)} of their largest magnitude`);
        assert.ok(ee <= 1e-4, `${c.name} batch ${n}: embedding differs by ${ee.toExponential(2)} of its largest magnitude`);
      }
    } finally {
      await session.release();
      for (const x of inputs) x.dispose();
    }
    const meta = parseExportMetadata(readOnnxMetadataProps(path));
    assert.deepEqual(meta.classes, classes);
    assert.deepEqual(meta.preprocessing, preprocessing);
    assert.equal(meta.calibration, calibration);
    assert.equal(meta.model, c.name);
    if (onnxCheckerAvailable()) assert.equal(checkOnnxFile(path), null, `ONNX checker rejects ${c.name}`);
  } finally {
    if (!model.isDisposed) model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
