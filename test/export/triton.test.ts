// The Triton model repository: layout, config.pbtxt against the graph (names, dims, batch axis), labels, and ONNX Runtime at max_batch_size.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { defaultPreprocessing, exportMetadata } from '../../src/export/metadata.js';
import { writeTritonRepository } from '../../src/export/triton-repository.js';
import { createModel } from '../../src/models/registry.js';

// The `name { ... }` blocks of a config.pbtxt's input/output lists, as field maps.
function tensorBlocks(config: string, list: 'input' | 'output'): Record<string, string>[] {
  const body = new RegExp(`^${list} \\[\\n([\\s\\S]*?)\\n\\]`, 'm').exec(config);
  assert.ok(body, `config has an ${list} list`);
  return [...body[1]!.matchAll(/\{([^}]*)\}/g)].map((m) => Object.fromEntries([...m[1]!.matchAll(/(\w+): (.+)/g)].map((f) => [f[1]!, f[2]!.trim()])));
}

test('the Triton repository follows the config rules and the model runs at max_batch_size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-triton-'));
  const model = createModel('mobilenet_v3_small', { numClasses: 4 });
  const classes = ['black tern', 'common tern', 'arctic tern', 'forster tern'];
  try {
    const graph = exportOnnx(model, { imageSize: 64 });
    const metadata = exportMetadata({ model: 'mobilenet_v3_small', classes, preprocessing: defaultPreprocessing(64), calibration: null });
    const files = writeTritonRepository(dir, { graph, metadata, name: 'terns', classes, maxBatchSize: 8, maxQueueDelayMicroseconds: 500 });
    for (const f of ['terns/config.pbtxt', 'terns/labels.txt', 'terns/1/model.onnx'])
      assert.ok(files.includes(join(dir, f)) && existsSync(join(dir, f)), `${f} written`);

    const config = readFileSync(join(dir, 'terns/config.pbtxt'), 'utf8');
    assert.match(config, /^name: "terns"$/m);
    assert.match(config, /^platform: "onnxruntime_onnx"$/m);
    assert.match(config, /^max_batch_size: 8$/m);
    assert.match(config, /dynamic_batching \{\n\s+max_queue_delay_microseconds: 500\n\}/);
    const inputs = tensorBlocks(config, 'input');
    const outputs = tensorBlocks(config, 'output');
    assert.deepEqual(inputs, [{ name: '"input"', data_type: 'TYPE_FP32', dims: '[ 3, 64, 64 ]' }]);
    assert.deepEqual(outputs[0], { name: '"logits"', data_type: 'TYPE_FP32', dims: '[ 4 ]', label_filename: '"labels.txt"' });
    assert.deepEqual(outputs[1], { name: '"embedding"', data_type: 'TYPE_FP32', dims: `[ ${model.numFeatures} ]` });
    assert.deepEqual(readFileSync(join(dir, 'terns/labels.txt'), 'utf8').split('\n').slice(0, -1), classes);

    // The graph's own names and dims agree with the config, the batch axis being the dynamic first one.
    const session = await ort.InferenceSession.create(join(dir, 'terns/1/model.onnx'));
    try {
      assert.deepEqual(session.inputNames, ['input']);
      assert.deepEqual(session.outputNames, ['logits', 'embedding']);
      assert.deepEqual(graph.inputs[0]!.dims, ['batch', 3, 64, 64]);
      const n = 8;
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(n * 3 * 64 * 64).fill(0.5), [n, 3, 64, 64]) });
      assert.deepEqual(out.logits!.dims, [n, 4]);
      assert.deepEqual(out.embedding!.dims, [n, model.numFeatures]);
      assert.ok((out.logits!.data as Float32Array).every(Number.isFinite));
    } finally {
      await session.release();
    }
    assert.throws(
      () => writeTritonRepository(dir, { graph, metadata, name: 'bad name', classes, maxBatchSize: 8, maxQueueDelayMicroseconds: 0 }),
      /Triton model name/,
    );
    assert.throws(
      () => writeTritonRepository(dir, { graph, metadata, name: 'x', classes: ['a\nb'], maxBatchSize: 8, maxQueueDelayMicroseconds: 0 }),
      /line break/,
    );
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
