/**
 * bench/serve's staged accounting (a child process of memory.ts): one serving process built up
 * in the order `finegrain serve` builds itself — Fastify and prom-client, the inference thread's
 * isolate, the addon with libtorch's code (the serving glibc policy set first, as the inference
 * thread does), the model's weights prepared for inference, warm-up at every batch size, the
 * server listening, then what the first requests start: sharp decoding photos and the quality
 * thread — with
 * /proc/self/smaps_rollup read after each stage, so each part's cost is a measured difference,
 * not a guess. The parent then loads the server and reads its rollup from outside.
 *
 * Stages print one JSON line each to stderr ({ stage, rssMiB, anonMiB }); the last line is the
 * server's `ready on URL`, as `finegrain serve` prints it. The inference thread is the real
 * one (libtorch-worker.js behind `LibtorchThreadModel`), started empty first so its isolate,
 * the addon and the model can be told apart.
 *
 *   node build/bench/serve/stages.js CHECKPOINT PHOTO_DIR [--runtime onnx] [--warm-up 8,4,2,1]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { rollup } from './rollup.js';
import { servedBatchSizes } from '../../src/serve/options.js';

function mark(stage: string): void {
  process.stderr.write(JSON.stringify({ stage, ...rollup() }) + '\n');
}

const [checkpoint, photoDir, ...rest] = process.argv.slice(2);
if (!checkpoint || !photoDir) throw new Error('usage: stages.js CHECKPOINT PHOTO_DIR [--runtime onnx]');
const onnx = rest.join(' ').includes('--runtime onnx');
// --warm-up 8,4 runs only those batch sizes (default: the server's own, 8, 4, 2, 1).
const warmIndex = rest.indexOf('--warm-up');
const warmSizes = warmIndex >= 0 ? rest[warmIndex + 1]!.split(',').map(Number) : servedBatchSizes({ maxBatch: 8 });
const settle = () => new Promise((r) => setTimeout(r, 300));

mark('node started (the CLI entry not loaded)');
const [{ createServer }, { serverMetrics }] = await Promise.all([import('../../src/serve/app.js'), import('../../src/serve/metrics.js')]);
await import('fastify');
await import('@fastify/multipart');
serverMetrics({ maxBatch: 8 });
mark('Fastify, @fastify/multipart, prom-client, the routes (modules loaded)');

let model: import('../../src/pipeline/served-model.js').ServedModel;
if (onnx) {
  const { loadOnnxModel } = await import('../../src/pipeline/onnx-model.js');
  model = await loadOnnxModel(checkpoint, {});
  mark('ONNX Runtime loaded, the model session created');
} else {
  const { WORKER_RESOURCE_LIMITS } = await import('../../src/pipeline/worker-limits.js');
  const { LibtorchThreadModel } = await import('../../src/pipeline/libtorch-thread.js');
  const here = import.meta.url;
  // An inference thread that waits for word before each step: 'addon' imports the binding
  // (libtorch's code, its static initialisers), 'model' runs libtorch-worker.js, which reads
  // the same workerData as loadLibtorchThread passes and answers the same protocol.
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', async (m) => {
       if (m === 'addon') {
         const { native } = await import(${JSON.stringify(new URL('../../src/native/binding.js', here).href)});
         const { capServingMemory } = await import(${JSON.stringify(new URL('../../src/native/serving-memory.js', here).href)});
         capServingMemory(native);
         parentPort.postMessage('addon');
       }
       else if (m === 'model') { await import(${JSON.stringify(new URL('../../src/pipeline/libtorch-worker.js', here).href)}); }
     });`,
    {
      eval: true,
      resourceLimits: WORKER_RESOURCE_LIMITS,
      workerData: { checkpoints: [checkpoint], options: { precision: 'auto' }, threads: 1, servingMemory: true },
    },
  );
  const next = () => new Promise<unknown>((r) => worker.once('message', r));
  await new Promise((r) => worker.once('online', r));
  await settle();
  mark('inference thread started (an empty isolate)');
  worker.postMessage('addon');
  await next();
  await settle();
  mark('the addon, libtorch and its libraries loaded in it');
  worker.postMessage('model');
  const ready = (await next()) as { type: string; info: import('../../src/pipeline/libtorch-model.js').LibtorchModelInfo };
  if (ready.type !== 'ready') throw new Error(`the model did not load: ${JSON.stringify(ready)}`);
  model = new LibtorchThreadModel(worker, ready.info);
  await settle();
  mark('the checkpoint loaded and prepared for inference (weights, convolution plans made)');
}
await model.warmUp(warmSizes, 1);
await settle();
mark(`warm-up at batch sizes ${warmSizes.join(', ')} (oneDNN kernels and plan variants, the activation arena)`);
const server = await createServer(model, { port: 0, web: false, warmUp: false, maxQueue: 256 });
const address = await server.listen();
mark('listening');
const files = readdirSync(photoDir, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile() && /\.jpe?g$/i.test(d.name))
  .map((d) => join(d.parentPath, d.name))
  .sort()
  .slice(0, 32);
const bodies = files.map((p) => readFileSync(p));
const { decodeInput } = await import('../../src/pipeline/input.js');
const { imagenetPreprocess } = await import('../../src/models/preprocess-config.js');
const pre = imagenetPreprocess(224);
const decoded = [];
for (const b of bodies) decoded.push(await decodeInput(b, pre, {}));
await settle();
mark('sharp / libvips loaded, 32 photos decoded');

const { assessQualityOffThread } = await import('../../src/pipeline/quality-thread.js');
const { DEFAULT_QUALITY_THRESHOLDS } = await import('../../src/open-world/quality.js');
for (const d of decoded) await assessQualityOffThread({ ...d, channels: 3 }, DEFAULT_QUALITY_THRESHOLDS);
await settle();
mark('quality thread (an isolate) measured 32 photos');
process.stderr.write(`ready on ${address}\n`);
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
