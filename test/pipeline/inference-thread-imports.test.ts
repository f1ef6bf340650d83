// What the server's inference thread loads: each isolate holds its own copy of every module it
// imports, so code the thread never runs costs memory per replica (bench/serve/README.md).
// sharp (decoding happens on the main thread) and the ONNX exporter (protobufjs, imported when
// /v1/model.onnx is first asked for) must not be among its imports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

test('the model module that the inference thread imports loads neither sharp nor the ONNX exporter', async () => {
  const model = new URL('../../src/pipeline/libtorch-model.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(model)}).then(
       () => parentPort.postMessage(Object.keys(require.cache)),
       (e) => parentPort.postMessage(String(e)),
     );`,
    { eval: true },
  );
  try {
    const loaded = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.ok(Array.isArray(loaded), `the import failed: ${String(loaded)}`);
    const packages = new Set((loaded as string[]).map((p) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean));
    assert.ok(!packages.has('sharp'), `sharp loaded: ${[...packages].join(', ')}`);
    assert.ok(!packages.has('protobufjs') && !packages.has('onnx-proto'), `the ONNX exporter loaded: ${[...packages].join(', ')}`);
  } finally {
    await worker.terminate();
  }
});
