/**
 * bench/infer: inference speed and memory of finegrain against PyTorch and ONNX Runtime, in one
 * run, on the same input batch and the same weights (issue 13):
 *
 *  - finegrain default — what `classifier()` picks on this machine (bf16 autocast + channels-last
 *    on AMX / AVX-512 BF16 CPUs), through `memberForward`, the step predict/eval/serve share;
 *  - finegrain fp32 (`precision: 'float32'`);
 *  - PyTorch eager fp32 (`torch.no_grad()`) and bf16 autocast + channels-last (torchvision);
 *  - ONNX Runtime fp32 and int8 (QDQ, calibrated on a few images) on finegrain's export.
 *
 * Each contender is its own child process (peak RSS = its VmHWM), all alive at once for one
 * workload (model × batch); the orchestrator asks each for a block of timed forward passes in
 * turn, round after round (the order reversed every other round), so load from other jobs hits
 * all of them alike. Weights are seeded random (torchvision's initialisation schemes); the
 * input is a seeded N(0, 1) batch. Figures are medians; goals are judged on the median of
 * per-round throughput ratios.
 *
 * @example
 *   npm run bench -- infer                                   # table + bench/results/infer-<date>.json
 *   node scripts/run-bench.mjs infer --models mobilenet_v2 --batches 1 --rounds 2
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInt as int } from '../format.js';
import { buildInfo, setNumThreads } from '../../src/index.js';
import { cpuFlags } from '../../src/native/cpu-flags.js';
import { resolveChannelsLast, resolvePrecision } from '../../src/runtime/device-choice.js';
import { cpuModel } from '../engine/machine.js';
import { argmaxRows } from '../../src/evaluation/top-classes.js';
import { pairedRatios, summarize } from '../engine/stats.js';
import { TorchSide } from '../engine/torch-side.js';
import { NUM_CLASSES, prepareModel, writeInputBatch, type ModelFiles } from './prepare.js';
import { formatReport, type ContenderName, type ContenderResult, type Goal, type InferResults, type WorkloadResult } from './report.js';

const DEFAULT_MODELS = 'resnet50,mobilenet_v2,regnet_y_16gf';
const DEFAULT_BATCHES = '1,16';
const ALL_CONTENDERS: ContenderName[] = [
  'finegrain-default',
  'finegrain-fp32',
  'finegrain-aten',
  'finegrain-autocast',
  'pytorch-fp32',
  'pytorch-bf16-cl',
  'ort-fp32',
  'ort-int8',
];

// build/bench/infer/run.js -> the repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const here = dirname(fileURLToPath(import.meta.url));

const { values: opt } = parseArgs({
  options: {
    models: { type: 'string' },
    contenders: { type: 'string' },
    skip: { type: 'string' },
    batches: { type: 'string' },
    rounds: { type: 'string' },
    'block-ms': { type: 'string' },
    'max-iters': { type: 'string' },
    'heavy-iters': { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    size: { type: 'string' },
    seed: { type: 'string' },
    'calibration-images': { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    python: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (opt.help) {
  console.log(`usage: npm run bench -- infer [options]
  --models LIST             models (default ${DEFAULT_MODELS})
  --contenders LIST         some of ${ALL_CONTENDERS.join(',')} (default: all; the goals need finegrain-default, finegrain-fp32, pytorch-fp32, ort-fp32, ort-int8)
  --batches LIST            batch sizes (default ${DEFAULT_BATCHES})
  --skip LIST               model:batch workloads to leave out, e.g. regnet_y_16gf:16 (minutes a pass on 2 busy cores)
  --rounds N                rounds; each runs one timed block of every contender (default 3)
  --block-ms MS             aim of one block's length: iterations = MS / warm-up time (default 1500)
  --max-iters N             most iterations in one block (default 20)
  --heavy-iters N           most iterations per block for a workload over 2 s a pass, e.g. regnet_y_16gf at batch 16 (default 1)
  --warmup N                untimed passes when a contender starts (default 2)
  --threads N               intra-op threads in every contender (default 2)
  --size PX                 input size (default 224)
  --seed N                  seed of the weights and the input batch (default 0)
  --calibration-images N    images the int8 export calibrates on (default 16)
  --data DIR                where calibration images come from (default ../shared/data/cub100; the input batch when absent)
  --out FILE                results JSON (default bench/results/infer-<date>.json)
  --python PATH             the Python with PyTorch and torchvision (default $FINEGRAIN_BENCH_PYTHON or /usr/bin/python3)`);
  process.exit(0);
}

const chosen = (opt.contenders ?? ALL_CONTENDERS.join(',')).split(',').filter(Boolean);
for (const c of chosen) if (!ALL_CONTENDERS.includes(c as ContenderName)) throw new TypeError(`--contenders: unknown '${c}' (${ALL_CONTENDERS.join(', ')})`);
const models = (opt.models ?? DEFAULT_MODELS).split(',').filter(Boolean);
const batches = (opt.batches ?? DEFAULT_BATCHES).split(',').map((b) => int(b, 1));
const skip = new Set((opt.skip ?? '').split(',').filter(Boolean));
const rounds = int(opt.rounds, 3);
const blockMs = int(opt['block-ms'], 1500);
const maxIters = int(opt['max-iters'], 20);
const heavyIters = int(opt['heavy-iters'], 1);
const warmup = int(opt.warmup, 2);
const threads = int(opt.threads, 2);
const size = int(opt.size, 224);
const seed = Number(opt.seed ?? 0);
const calibrationImages = int(opt['calibration-images'], 16);
const data = resolve(root, opt.data ?? '../shared/data/cub100');
const python = opt.python ?? process.env.FINEGRAIN_BENCH_PYTHON ?? '/usr/bin/python3';

const log = (msg: string) => process.stderr.write(`[bench infer ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Contender {
  name: ContenderName;
  start(): Promise<TorchSide>;
  setup: Record<string, unknown>;
}

function contenders(files: ModelFiles): Contender[] {
  const node = (worker: string) => () => TorchSide.start(process.execPath, join(here, worker));
  const py = () => TorchSide.start(python, join(root, 'bench/infer/torch_infer.py'));
  const all: Contender[] = [
    { name: 'finegrain-default', start: node('worker-finegrain.js'), setup: { variant: 'default', weights: files.weights } },
    { name: 'finegrain-fp32', start: node('worker-finegrain.js'), setup: { variant: 'fp32', weights: files.weights } },
    { name: 'finegrain-aten', start: node('worker-finegrain.js'), setup: { variant: 'aten', weights: files.weights } },
    { name: 'finegrain-autocast', start: node('worker-finegrain.js'), setup: { variant: 'autocast', weights: files.weights } },
    { name: 'pytorch-fp32', start: py, setup: { mode: 'fp32', weights: files.weights } },
    { name: 'pytorch-bf16-cl', start: py, setup: { mode: 'bf16-channels-last', weights: files.weights } },
    { name: 'ort-fp32', start: node('worker-ort.js'), setup: { onnx: files.onnxFp32 } },
    { name: 'ort-int8', start: node('worker-ort.js'), setup: { onnx: files.onnxInt8 } },
  ];
  return all.filter((c) => chosen.includes(c.name));
}

interface SetupAnswer {
  settings: Record<string, unknown>;
  logits: number[];
  warmupMs: number[];
  rssAtStartMiB: number;
}

/** How far `logits` are from the reference's: max abs difference over max magnitude, and top-1 agreement. */
function compareLogits(logits: number[], ref: number[], batch: number): { maxRelDiff: number; top1Agreement: number } {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(logits[i]! - ref[i]!));
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  }
  const [top, topRef] = [argmaxRows(logits, batch), argmaxRows(ref, batch)];
  let agree = 0;
  for (let r = 0; r < batch; r++) agree += Number(top[r] === topRef[r]);
  return { maxRelDiff: maxDiff / maxRef, top1Agreement: agree / batch };
}

async function benchWorkload(model: string, batch: number, files: ModelFiles, input: string): Promise<WorkloadResult> {
  const loadStart = loadavg()[0]!;
  const live: { c: Contender; side: TorchSide; setup: SetupAnswer; iters: number; samples: number[][] }[] = [];
  try {
    for (const c of contenders(files)) {
      const side = await c.start();
      live.push({ c, side, setup: null as unknown as SetupAnswer, iters: 1, samples: [] });
      const setup = await side.request<SetupAnswer>({ cmd: 'setup', model, batch, size, input, threads, warmup, numClasses: NUM_CLASSES, ...c.setup });
      const warm = setup.warmupMs.at(-1) ?? blockMs;
      const cap = warm > 2000 ? heavyIters : maxIters;
      Object.assign(live.at(-1)!, { setup, iters: Math.max(1, Math.min(cap, Math.round(blockMs / warm))) });
      log(`${model} b${batch} ${c.name}: ready, warm-up ${setup.warmupMs.map((x) => x.toFixed(0)).join(', ')} ms, ${JSON.stringify(setup.settings)}`);
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? live : [...live].reverse();
      for (const l of order) l.samples.push((await l.side.request<{ ms: number[] }>({ cmd: 'time', iters: l.iters })).ms);
      log(`${model} b${batch} round ${r + 1}/${rounds}: ${live.map((l) => `${l.c.name} ${summarize(l.samples[r]!).median.toFixed(1)} ms`).join(', ')}`);
    }
    // Logits are compared with finegrain fp32's (the first contender when that one is not run).
    const ref = (live.find((l) => l.c.name === 'finegrain-fp32') ?? live[0]!).setup.logits;
    const results: ContenderResult[] = [];
    for (const l of live) {
      const mem = await l.side.request<{ peakRssMiB: number }>({ cmd: 'memory' });
      const msPerBatch = summarize(l.samples.flat());
      results.push({
        name: l.c.name,
        settings: l.setup.settings,
        iters: l.iters,
        warmupMs: l.setup.warmupMs,
        samples: l.samples,
        msPerBatch,
        imagesPerSecond: (batch * 1000) / msPerBatch.median,
        rssAtStartMiB: l.setup.rssAtStartMiB,
        peakRssMiB: mem.peakRssMiB,
        vsFp32: compareLogits(l.setup.logits, ref, batch),
      });
    }
    const blockMedians = (name: ContenderName) => results.find((c) => c.name === name)!.samples.map((s) => summarize(s).median);
    const has = (n: ContenderName) => results.some((c) => c.name === n);
    const goal = (name: string, numerator: ContenderName, denominator: ContenderName, target: number | null): Goal | null => {
      if (!has(numerator) || !has(denominator)) return null;
      // throughput ratio = denominator's time / numerator's time, round by round
      const pairedRatio = summarize(pairedRatios(blockMedians(denominator), blockMedians(numerator)));
      return { name, numerator, denominator, pairedRatio, target, pass: target === null ? null : pairedRatio.median >= target };
    };
    const goals = [
      goal('finegrain default / ORT fp32', 'finegrain-default', 'ort-fp32', batch === 1 ? 1.0 : 1.5),
      goal('finegrain fp32 / PyTorch fp32', 'finegrain-fp32', 'pytorch-fp32', 0.95),
      goal('ORT int8 / ORT fp32', 'ort-int8', 'ort-fp32', 2.0),
      goal('finegrain default / PyTorch fp32', 'finegrain-default', 'pytorch-fp32', null),
      goal('finegrain default / PyTorch bf16+cl', 'finegrain-default', 'pytorch-bf16-cl', null),
      goal('finegrain default / ORT int8', 'finegrain-default', 'ort-int8', null),
      goal('finegrain default / the same copy on aten::conv2d (no conv plans)', 'finegrain-default', 'finegrain-aten', null),
      goal('finegrain default / autocast over float32 weights (before the inference copy)', 'finegrain-default', 'finegrain-autocast', null),
    ].filter((g): g is Goal => g !== null);
    return { model, batch, size, loadAverage: { start: loadStart, end: loadavg()[0]! }, contenders: results, goals };
  } finally {
    for (const l of live) await l.side.close().catch(() => undefined);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'finegrain-bench-infer-'));
const loadAtStart = loadavg()[0]!;
const notes: string[] = [];
try {
  setNumThreads(threads);
  const input = writeInputBatch(scratch, Math.max(...batches), size, seed);
  const workloads: WorkloadResult[] = [];
  const prepared: Record<string, unknown> = {};
  for (const model of models) {
    log(`${model}: seeded weights, fp32 and int8 exports`);
    const files = await prepareModel(scratch, model, { size, seed, calibrationImages, data, input, inputCount: Math.max(...batches) });
    prepared[model] = { calibration: files.calibration, seconds: files.seconds };
    log(`${model}: exported in ${files.seconds.export.toFixed(1)} s, quantised in ${files.seconds.quantize.toFixed(1)} s (${files.calibration})`);
    for (const batch of batches) {
      if (skip.has(`${model}:${batch}`)) notes.push(`${model} at batch ${batch} left out (--skip)`);
      else workloads.push(await benchWorkload(model, batch, files, input));
    }
    rmSync(files.onnxInt8, { force: true });
    rmSync(files.onnxFp32, { force: true });
    rmSync(files.weights, { force: true });
  }
  const loadAtEnd = loadavg()[0]!;
  const cores = availableParallelism();
  if (Math.max(loadAtStart, loadAtEnd, ...workloads.map((w) => Math.max(w.loadAverage.start, w.loadAverage.end))) > cores / 2)
    notes.push(
      `the machine was busy (1-minute load average up to ${Math.max(loadAtStart, loadAtEnd).toFixed(1)} on ${cores} cores): other jobs shared the cores; ratios from the same rounds still compare`,
    );
  const lib = buildInfo();
  const defaultPrecision = resolvePrecision('auto', 'cpu');
  const results: InferResults = {
    benchmark: 'infer',
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpuModel(),
      cores,
      cpuFlags: ['amx_bf16', 'avx512_bf16', 'avx512_vnni', 'avx_vnni'].filter((fl) => new RegExp(`\\b${fl}\\b`).test(cpuFlags())),
      libtorch: lib.torchVersion,
      node: process.version,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
    },
    settings: {
      threads,
      size,
      seed,
      rounds,
      skipped: [...skip],
      blockMs,
      maxIters,
      heavyIters,
      warmup,
      calibrationImages,
      numClasses: NUM_CLASSES,
      finegrainDefault: { precision: defaultPrecision, channelsLast: resolveChannelsLast(undefined, 'cpu', defaultPrecision) },
    },
    prepared,
    workloads,
    notes,
  };
  console.log(formatReport(results));
  const outFile = opt.out ?? join(root, 'bench/results', `infer-${results.date.slice(0, 10)}.json`);
  mkdirSync(dirname(resolve(outFile)), { recursive: true });
  writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
  console.log(`\nresults written to ${outFile}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
