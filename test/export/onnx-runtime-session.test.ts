// OnnxRuntimeSession: opens an export, reads its metadata, runs batches like finegrain, and refuses bad input and foreign files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { defaultPreprocessing, exportMetadata } from '../../src/export/metadata.js';
import { OnnxRuntimeSession } from '../../src/export/onnx-runtime-session.js';
import { encodeOnnxModel, writeOnnxFile } from '../../src/export/onnx-write.js';
import { createModel } from '../../src/models/registry.js';
import { randn } from '../../src/tensor/creation.js';

test('an exported model runs on ONNX Runtime with its metadata', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-ortclf-'));
  const model = createModel('resnet18', { numClasses: 3 }).eval();
  const path = join(dir, 'm.onnx');
  const calibration = JSON.stringify({ thresholds: { energy: -3.5 } });
  const x = randn([2, 3, 48, 48]);
  try {
    const graph = exportOnnx(model, { imageSize: 48 });
    writeOnnxFile(
      path,
      graph,
      exportMetadata({ model: 'resnet18', classes: ['a', 'b', 'c'], preprocessing: defaultPreprocessing(48), calibration, embeddingSize: 512 }),
    );
    const ref = noGrad(() => model.forward(x));
    const clf = await OnnxRuntimeSession.open(path, { intraOpThreads: 1 });
    try {
      assert.deepEqual(clf.metadata.classes, ['a', 'b', 'c']);
      assert.equal(clf.metadata.calibration, calibration);
      assert.deepEqual(clf.inputShape, [3, 48, 48]);
      const { logits, embedding } = await clf.run(x.toTypedArray() as Float32Array, x.shape);
      assert.deepEqual(logits.dims, [2, 3]);
      assert.deepEqual(embedding.dims, [2, 512]);
      const r = ref.toTypedArray() as Float32Array;
      const peak = Math.max(...Array.from(r, Math.abs));
      r.forEach((v, i) => assert.ok(Math.abs(v - logits.data[i]!) <= 1e-4 * peak, `logit ${i}`));
      await assert.rejects(clf.run(new Float32Array(10), [1, 3, 32, 32]), /expected a batch \[N, 3, 48, 48\]/);
      await assert.rejects(clf.run(new Float32Array(10), [1, 3, 48, 48]), /holds 10 values/);
    } finally {
      await clf.close();
    }
    // A file without finegrain metadata is refused with the missing key's name.
    const plain = join(dir, 'plain.onnx');
    writeFileSync(plain, encodeOnnxModel(graph));
    await assert.rejects(OnnxRuntimeSession.open(plain), /not a finegrain export: metadata 'finegrain\.\w+' is missing/);
    ref.dispose();
  } finally {
    x.dispose();
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
