/**
 * bench/infer's finegrain contender, one per child process (so its peak memory is its own):
 * a zoo model with the benchmark's weights (safetensors), run on the benchmark's input batch
 * through `memberForward` — the inference step `classifier()`, predict, eval and serve share
 * (src/evaluation/forward.ts). Four variants:
 *
 *  - `default`: what `classifier()` runs on this machine: the precision and layout it picks
 *    (`resolvePrecision('auto')`, `resolveChannelsLast`: bf16 autocast + channels-last on CPUs
 *    with AMX or AVX-512 BF16, float32 elsewhere) on the model prepared as it prepares it
 *    (`prepareForInference`: batch norms folded into the convolutions, conv/linear weights
 *    stored in bf16 once, weights laid out channels-last, convolutions run as oneDNN plans
 *    with their activations fused);
 *  - `aten`: the same copy without the convolution plans (aten::conv2d, activations apart):
 *    the default before 2026-12-03;
 *  - `fp32`: `precision: 'float32'`, NCHW — what `classifier(path, { precision: 'float32' })` runs
 *    (nothing folded or cast; convolutions as oneDNN plans since 2026-12-03);
 *  - `autocast`: the default before the preparation: bf16 autocast + channels-last over the
 *    float32 weights, batch norms unfolded (autocast casts every weight on every pass).
 *
 *   node build/bench/infer/worker-finegrain.js   (driven by bench/infer/run.ts)
 */
import { fromTypedArray, holdTensorCache, loadSafetensors, noGrad, setNumThreads, getNumThreads } from '../../src/index.js';
import { createModel, type ImageClassifier } from '../../src/models/index.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { PlannedConv2d } from '../../src/nn/layers/planned-conv2d.js';
import { memberForward } from '../../src/evaluation/forward.js';
import { prepareForInference } from '../../src/models/prepare-for-inference.js';
import { resolveChannelsLast, resolvePrecision, type Precision } from '../../src/runtime/device-choice.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { memoryMiB, readInput, serveRequests, timeBlock, type Request } from './worker-loop.js';

const atStart = memoryMiB();
let state: { model: ImageClassifier; x: Tensor; precision: Precision; channelsLast: boolean } | null = null;

function forward(): Float32Array {
  const s = state!;
  const out = memberForward(s.model, s.x, { device: 'cpu', precision: s.precision, channelsLast: s.channelsLast });
  try {
    return out.logits.toTypedArray() as Float32Array;
  } finally {
    out.probs.dispose();
    out.logits.dispose();
    out.embeddings.dispose();
  }
}

function setup(req: Request) {
  const variant = String(req.variant);
  if (variant !== 'default' && variant !== 'aten' && variant !== 'fp32' && variant !== 'autocast')
    throw new TypeError(`unknown finegrain variant '${variant}'`);
  setNumThreads(Number(req.threads));
  const precision = variant === 'fp32' ? 'float32' : resolvePrecision('auto', 'cpu');
  const channelsLast = variant === 'fp32' ? false : resolveChannelsLast(undefined, 'cpu', precision);
  const model = createModel(String(req.model), { numClasses: Number(req.numClasses) });
  const { tensors } = loadSafetensors(String(req.weights));
  try {
    noGrad(() => model.loadStateDict(tensors));
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  model.eval();
  // As classifier() does for its lifetime: freed activation blocks kept for the next pass
  // (default and fp32 alike; FINEGRAIN_TENSOR_CACHE_MIB=0 measures without).
  holdTensorCache();
  const batch = Number(req.batch);
  const size = Number(req.size);
  // As classifier() does: the inference copy (fp32 too: plans, nothing folded), its weights laid
  // out channels-last inside, once, at load; the autocast variant lays out the unprepared model.
  const prepared = variant === 'autocast' ? null : prepareForInference(model, { precision, inputSize: size, channelsLast, convPlans: variant !== 'aten' });
  if (channelsLast && !prepared) model.to({ memoryFormat: 'channelsLast' });
  const x = fromTypedArray(readInput(String(req.input), batch, size), [batch, 3, size, size]).keep();
  state = { model, x, precision, channelsLast };
  const warmupMs = [];
  let logits: Float32Array = new Float32Array();
  for (let i = 0; i < Number(req.warmup); i++) {
    const t = process.hrtime.bigint();
    logits = forward();
    warmupMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return {
    settings: {
      precision,
      channelsLast,
      convWeights: model
        .modules()
        .find((m) => m instanceof Conv2d || m instanceof PlannedConv2d)
        ?.parameters()[0]?.dtype,
      threads: getNumThreads(),
      prepared,
    },
    logits: Array.from(logits),
    warmupMs,
    rssAtStartMiB: atStart.rssMiB,
  };
}

await serveRequests({
  setup,
  time: (req) => timeBlock(forward, Number(req.iters)).then((ms) => ({ ms })),
});
