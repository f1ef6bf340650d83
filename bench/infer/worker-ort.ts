/**
 * bench/infer's ONNX Runtime contender, one per child process: finegrain's export of the
 * benchmark's weights (fp32, or the int8 QDQ export) on onnxruntime-node's CPU provider with
 * every graph optimisation, `intraOpNumThreads` as asked and one inter-op thread, as
 * `OnnxRuntimeSession` (src/export/onnx-runtime-session.ts) opens a file. This file loads
 * no libtorch, so the process's memory is ONNX Runtime's.
 *
 *   node build/bench/infer/worker-ort.js   (driven by bench/infer/run.ts)
 */
import ort from 'onnxruntime-node';
import { memoryMiB, readInput, serveRequests, timeBlock, type Request } from './worker-loop.js';

const atStart = memoryMiB();
let state: { session: ort.InferenceSession; feed: Record<string, ort.Tensor> } | null = null;

async function forward(): Promise<Float32Array> {
  const out = await state!.session.run(state!.feed);
  return out.logits!.data as Float32Array;
}

async function setup(req: Request) {
  const threads = Number(req.threads);
  const session = await ort.InferenceSession.create(String(req.onnx), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const batch = Number(req.batch);
  const size = Number(req.size);
  const feed = { input: new ort.Tensor('float32', readInput(String(req.input), batch, size), [batch, 3, size, size]) };
  state = { session, feed };
  const warmupMs = [];
  let logits: Float32Array = new Float32Array();
  for (let i = 0; i < Number(req.warmup); i++) {
    const t = process.hrtime.bigint();
    logits = await forward();
    warmupMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { settings: { threads, onnxruntime: ort.env.versions.node }, logits: Array.from(logits), warmupMs, rssAtStartMiB: atStart.rssMiB };
}

await serveRequests({
  setup,
  time: async (req) => ({ ms: await timeBlock(forward, Number(req.iters)) }),
});
