/**
 * bench/models: training throughput of whole zoo models, finegrain against PyTorch
 * (torchvision models under Debian's /usr/bin/python3) on the same machine, in one run:
 *
 *  - resnet50 (batch 16, 224 px) and regnet_y_16gf (batch 8, 224 px), one SGD training step
 *    per sample, with the same settings and thread count on both sides;
 *  - fp32 parity: finegrain fp32 / PyTorch fp32 images/s (target >= 0.95);
 *  - finegrain's default CPU training precision (bf16 autocast + channels-last on CPUs with
 *    AMX or AVX-512 BF16) against PyTorch's default fp32 eager (target >= 2.5);
 *  - bf16 + channels-last on both sides with the same kernels, i.e. finegrain with every
 *    convolution through oneDNN as PyTorch (target >= 0.95);
 *  - and what finegrain's 1×1-convolutions-as-matrix-products route gains over that.
 *
 * With `--device cuda` (a CUDA libtorch and a CUDA PyTorch, e.g. on the GPU machine through
 * scripts/device-check.sh) the same steps run on the GPU, batch and model on the device: fp32
 * parity, bf16 + channels-last parity (target >= 0.95 each), and finegrain's default CUDA
 * training precision (bf16 autocast + channels-last) against PyTorch's default fp32 eager
 * (target >= 1.0). The oneDNN ablation is CPU-only and is left out there.
 *
 * Cases are interleaved round by round (each round runs every case once, the order reversed
 * every other round), so load from other jobs hits all of them alike; medians are reported.
 *
 * @example
 *   npm run bench -- models                                  # table + bench/results/models-<date>.json
 *   npm run bench -- models --quick --models resnet50:16
 *   npm run bench -- models --rounds 9 --threads 2 --out /tmp/models.json
 *   npm run bench -- models --device cuda --python python3   # GPU: resnet50:128,regnet_y_16gf:64
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInt as int } from '../format.js';
import { cacheHostMemory, cuda, getNumThreads, setNumThreads } from '../../src/index.js';
import { resolveChannelsLast, resolvePrecision } from '../../src/runtime/device-choice.js';
import { machineInfo, type TorchInfo } from '../engine/machine.js';
import { cpuFlags } from '../../src/native/cpu-flags.js';
import { pairedRatios, summarize } from '../engine/stats.js';
import { TorchSide } from '../engine/torch-side.js';
import { formatReport, type CaseResult, type Comparison, type ModelResult, type ModelsResults, type Side } from './report.js';
import { NUM_CLASSES, SGD_SETTINGS, TrainCase, parallelAddMicros, type Signature, type TrainMode, type Workload } from './workloads.js';

const PARITY_TARGET = 0.95;
// A parallel 100k-element add slower than this means other jobs hold the cores (quiet: ~20 us).
const BUSY_PROBE_US = 500;
const DEFAULT_PRECISION_TARGET = 2.5;
// On a GPU, finegrain's default (bf16 + channels-last) must at least match PyTorch's default.
const DEFAULT_PRECISION_TARGET_CUDA = 1.0;
const DEFAULT_WORKLOADS = 'resnet50:16,regnet_y_16gf:8';
const DEFAULT_WORKLOADS_CUDA = 'resnet50:128,regnet_y_16gf:64';

// build/bench/models/run.js -> the repository root, where the Python script lives
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string' },
    iters: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    models: { type: 'string' },
    size: { type: 'string' },
    out: { type: 'string' },
    python: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (opt.help) {
  console.log(`usage: npm run bench -- models [options]
  --rounds N       rounds, each running every case once (default 5; 2 with --quick)
  --iters N        timed steps per block (default 3; 1 with --quick)
  --warmup N       untimed steps per block (default 1)
  --threads N      intra-op threads on both sides (default: all cores)
  --models LIST    model:batch pairs (default ${DEFAULT_WORKLOADS}; on cuda ${DEFAULT_WORKLOADS_CUDA})
  --device D       cpu (default) or cuda: where both sides train (cuda needs a CUDA libtorch and PyTorch)
  --size PX        input size (default 224)
  --out FILE       results JSON (default bench/results/models-<date>.json)
  --python PATH    the Python with PyTorch and torchvision (default $FINEGRAIN_BENCH_PYTHON or /usr/bin/python3)
  --quick          a short smoke run`);
  process.exit(0);
}

if (opt.device !== 'cpu' && opt.device !== 'cuda') throw new TypeError(`--device: expected cpu or cuda, got '${opt.device}'`);
const device = opt.device;
const onCuda = device === 'cuda';
if (onCuda && !cuda.isAvailable()) throw new Error('--device cuda: this finegrain addon or machine has no CUDA (build it against a CUDA libtorch)');
// A GPU step takes tens of milliseconds: more steps per block for stable medians.
const rounds = int(opt.rounds, opt.quick ? 2 : onCuda ? 3 : 5);
const iters = int(opt.iters, opt.quick ? 1 : onCuda ? 10 : 3);
const warmup = int(opt.warmup, onCuda ? 3 : 1);
const threads = int(opt.threads, availableParallelism());
const size = int(opt.size, 224);
const python = opt.python ?? process.env.FINEGRAIN_BENCH_PYTHON ?? '/usr/bin/python3';
const workloads: Workload[] = (opt.models ?? (onCuda ? DEFAULT_WORKLOADS_CUDA : DEFAULT_WORKLOADS)).split(',').map((spec) => {
  const [model, batch] = spec.split(':');
  if (!model) throw new TypeError(`--models: expected model:batch, got '${spec}'`);
  return { model, batch: int(batch, 16), size };
});

const log = (msg: string) => process.stderr.write(`[bench models] ${msg}\n`);
const blockMedian = (xs: number[]) => summarize(xs).median;

function bf16Flags(): { amx_bf16: boolean; avx512_bf16: boolean } {
  const flags = cpuFlags();
  return { amx_bf16: /\bamx_bf16\b/.test(flags), avx512_bf16: /\bavx512_bf16\b/.test(flags) };
}

const script = join(root, 'bench/models/torch_models.py');
if (!existsSync(script)) throw new Error(`${script} not found: run the compiled build/bench/models/run.js from the repository`);
const torch = await TorchSide.start(python, script);
const notes: string[] = [];
const loadAtStart = loadavg()[0]!;

// finegrain's own choice for training on this device (src/runtime/device-choice.ts), not a benchmark setting.
const defaultPrecision = resolvePrecision('auto', device);
const defaultChannelsLast = resolveChannelsLast(undefined, device, defaultPrecision);
const defaultMode: TrainMode = defaultPrecision === 'bfloat16' && defaultChannelsLast ? 'bf16-channels-last' : 'fp32';
const modes: TrainMode[] = ['fp32', 'bf16-channels-last'];
// finegrain only: its default with PyTorch's kernel choice for 1×1 convolutions, to show what
// the matrix-product route (src/nn/functional/pointwise-conv.ts) gains.
// CPU only: on CUDA every convolution is cuDNN's on both sides already.
const ablation: TrainMode | null = onCuda ? null : 'bf16-channels-last-onednn';

try {
  const torchInfo = await torch.request<TorchInfo & { torchvisionVersion: string }>({ cmd: 'info' });
  const machine = { ...machineInfo(torchInfo), cpuFlags: bf16Flags(), torchvision: torchInfo.torchvisionVersion };
  if (machine.libtorch.version.split('.').slice(0, 2).join('.') !== torchInfo.torchVersion.split('.').slice(0, 2).join('.')) {
    notes.push(`different libtorch versions: finegrain ${machine.libtorch.version}, PyTorch ${torchInfo.torchVersion}`);
  }
  if (onCuda && !torchInfo.cudaAvailable) throw new Error(`--device cuda: PyTorch at ${python} sees no GPU`);
  if (defaultMode === 'fp32')
    notes.push('this CPU has neither AMX nor AVX-512 BF16: finegrain trains in fp32 by default here, so the default-precision row compares fp32 with fp32');
  setNumThreads(threads);
  // As finegrain's Trainer does for a run (src/native/host-memory.ts): freed activations are reused.
  const hostMemoryCache = cacheHostMemory(true);
  if (!hostMemoryCache) notes.push("finegrain's host-memory cache is off (not glibc, or FINEGRAIN_HOST_MEMORY=system)");
  const pyThreads = (await torch.request<{ numThreads: number }>({ cmd: 'threads', n: threads })).numThreads;
  if (getNumThreads() !== threads || pyThreads !== threads)
    throw new Error(`thread count: asked ${threads}, finegrain has ${getNumThreads()}, PyTorch ${pyThreads}`);

  const models: ModelResult[] = [];
  for (const w of workloads) models.push(await benchModel(w));

  const date = new Date();
  machine.loadAverage = { start: loadAtStart, end: loadavg()[0]! };
  if (Math.max(loadAtStart, machine.loadAverage.end) > machine.cores / 2) {
    notes.push(
      `the machine was busy (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${machine.loadAverage.end.toFixed(1)} at the end, ${machine.cores} cores): other jobs shared the cores, so the figures are noisy; rerun with more --rounds when it is quieter`,
    );
  }
  const results: ModelsResults = {
    benchmark: 'models',
    date: date.toISOString(),
    machine,
    settings: {
      device,
      rounds,
      warmup,
      iters,
      threads,
      sgd: SGD_SETTINGS,
      finegrainDefaultPrecision: defaultPrecision,
      finegrainDefaultChannelsLast: defaultChannelsLast,
    },
    models,
    notes,
  };
  console.log(formatReport(results));
  const outFile = opt.out ?? join(root, 'bench/results', `models-${date.toISOString().slice(0, 10)}.json`);
  mkdirSync(dirname(resolve(outFile)), { recursive: true });
  writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
  console.log(`\nresults written to ${outFile}`);
} finally {
  await torch.close();
}

/** Every side and mode of one workload, interleaved round by round; one model's cases at a time in memory. */
async function benchModel(w: Workload): Promise<ModelResult> {
  const name = `${w.model} b${w.batch}`;
  const cases: { side: Side; mode: TrainMode; key: string; fg?: TrainCase; samples: number[][] }[] = [];
  const signatures: ModelResult['signatures'] = {};
  const probes: number[] = [];
  try {
    for (const mode of modes) {
      const key = `${w.model}/${mode}`;
      log(`${name} ${mode}: building both sides`);
      const fg = new TrainCase(w, mode, device);
      fg.step();
      const fgSig = fg.signature();
      const py = await torch.request<{ signature: Signature }>({
        cmd: 'setup',
        key,
        device,
        model: w.model,
        batch: w.batch,
        size: w.size,
        mode,
        sgd: SGD_SETTINGS,
        numClasses: NUM_CLASSES,
        warmup: 1,
      });
      if (JSON.stringify(fgSig) !== JSON.stringify(py.signature)) {
        fg.dispose();
        throw new Error(`${name} ${mode}: the two sides do different work:\n finegrain ${JSON.stringify(fgSig)}\n PyTorch   ${JSON.stringify(py.signature)}`);
      }
      signatures[mode] = fgSig;
      cases.push({ side: 'finegrain', mode, key, fg, samples: [] }, { side: 'pytorch', mode, key, samples: [] });
    }
    if (ablation) {
      log(`${name} ${ablation}: building finegrain's side`);
      const fg = new TrainCase(w, ablation, device);
      fg.step();
      cases.push({ side: 'finegrain', mode: ablation, key: `${w.model}/${ablation}`, fg, samples: [] });
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? cases : [...cases].reverse();
      const probeBefore = parallelAddMicros();
      for (const c of order) {
        const ms = c.fg ? c.fg.time(warmup, iters) : (await torch.request<{ ms: number[] }>({ cmd: 'steps', key: c.key, warmup, iters })).ms;
        c.samples.push(ms);
      }
      const probe = Math.max(probeBefore, parallelAddMicros());
      probes.push(probe);
      log(
        `${name}, round ${r + 1}/${rounds}: ${cases.map((c) => `${c.side} ${c.mode} ${blockMedian(c.samples[r]!).toFixed(0)} ms`).join(', ')}; parallel-add probe ${probe.toFixed(0)} us`,
      );
    }
  } finally {
    for (const c of cases) {
      c.fg?.dispose();
      if (c.side === 'pytorch') await torch.request({ cmd: 'drop', key: c.key });
    }
  }
  const results: CaseResult[] = cases.map((c) => {
    const stepMs = summarize(c.samples.flat());
    return { side: c.side, mode: c.mode, stepMs, imagesPerSecond: (w.batch * 1000) / stepMs.median, samples: c.samples };
  });
  const find = (side: Side, mode: TrainMode) => cases.find((c) => c.side === side && c.mode === mode)!;
  const compare = (label: string, num: [Side, TrainMode], den: [Side, TrainMode], target: number): Comparison => {
    const a = find(...num);
    const b = find(...den);
    const ratio = summarize(b.samples.flat()).median / summarize(a.samples.flat()).median;
    const paired = summarize(pairedRatios(b.samples.map(blockMedian), a.samples.map(blockMedian)));
    // The verdict is the median of per-round ratios: the blocks of a round run back to back, so
    // a burst of load from other jobs hits both sides of a ratio alike.
    return {
      name: label,
      numerator: { side: num[0], mode: num[1] },
      denominator: { side: den[0], mode: den[1] },
      ratio,
      pairedRatio: paired,
      target,
      pass: paired.median >= target,
    };
  };
  const comparisons = ablation
    ? [
        compare('fp32 parity', ['finegrain', 'fp32'], ['pytorch', 'fp32'], PARITY_TARGET),
        compare('default precision vs PyTorch default', ['finegrain', defaultMode], ['pytorch', 'fp32'], DEFAULT_PRECISION_TARGET),
        // Identical settings down to the kernels: oneDNN for every convolution on both sides.
        compare('bf16+channels-last parity', ['finegrain', ablation], ['pytorch', 'bf16-channels-last'], PARITY_TARGET),
        compare('1x1 convolutions as matrix products', ['finegrain', 'bf16-channels-last'], ['finegrain', ablation], 1),
      ]
    : [
        compare('fp32 parity', ['finegrain', 'fp32'], ['pytorch', 'fp32'], PARITY_TARGET),
        compare('bf16+channels-last parity', ['finegrain', 'bf16-channels-last'], ['pytorch', 'bf16-channels-last'], PARITY_TARGET),
        compare('default precision vs PyTorch default', ['finegrain', defaultMode], ['pytorch', 'fp32'], DEFAULT_PRECISION_TARGET_CUDA),
      ];
  const busy = probes.filter((p) => p > BUSY_PROBE_US).length;
  if (busy)
    notes.push(
      `${name}: in ${busy} of ${rounds} rounds a parallel 100k-element add took over ${BUSY_PROBE_US} us (up to ${Math.max(...probes).toFixed(0)} us; ~20 us when the cores are free): other jobs held the cores and every parallel operator waited for a time slice, on both sides`,
    );
  return { workload: w, signatures, cases: results, comparisons, probeMicros: probes };
}
