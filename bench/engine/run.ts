/**
 * bench/engine: finegrain against PyTorch on identical work, in one Node process and one
 * Python process on the same machine and the same libtorch build.
 *
 *  - conv2d forward+backward (batch 16, 64->64, 56x56, 3x3, padding 1) in fp32 and in bf16
 *    autocast on channels-last tensors: finegrain/PyTorch throughput (target >= 0.95);
 *  - 10,000 adds of 4-element tensors: time per add, finegrain/PyTorch (target <= 0.7), with
 *    the C++ floor (at::add from C++) and each side's overhead above it;
 *  - the conv benchmark on the GPU too when both sides see CUDA.
 *
 * Both sides get the same thread count (all cores, then 1). Blocks alternate between Node and
 * Python for several rounds, so load from other jobs hits both; medians are reported.
 *
 * @example
 *   npm run bench -- engine                       # full run, table + bench/results/engine-<date>.json
 *   npm run bench -- engine --quick --out /tmp/e.json
 *   npm run bench -- engine --rounds 15 --threads 2 --only conv
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInt as int } from '../format.js';
import { cuda, getNumThreads, setNumThreads } from '../../src/index.js';
import { machineInfo, type TorchInfo } from './machine.js';
import { formatReport, type AddResult, type ConvResult, type EngineResults } from './report.js';
import { pairedRatios, summarize } from './stats.js';
import { TorchSide } from './torch-side.js';
import { ADD_VARIANTS, CONV_SHAPE, ConvCase, timeAddBlock, type AddVariant, type ConvMode, type Signature } from './workloads.js';

const CONV_TARGET = 0.95;
const ADD_TARGET = 0.7;
const ADD_NUMEL = 4;
const ADDS_PER_LOOP = 10_000;
const MODES: ConvMode[] = ['fp32', 'bf16-channels-last'];

// build/bench/engine/run.js -> the repository root, where the Python script lives
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string' },
    iters: { type: 'string' },
    warmup: { type: 'string' },
    'add-loops': { type: 'string' },
    threads: { type: 'string' },
    devices: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    python: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (opt.help) {
  console.log(`usage: npm run bench -- engine [options]
  --rounds N       alternating Node/Python rounds (default 15; 3 with --quick); more on a busy machine
  --iters N        timed conv steps per block (default 5; 2 with --quick)
  --warmup N       untimed conv steps per block (default 1)
  --add-loops N    timed loops of ${ADDS_PER_LOOP} adds per block and variant (default 5)
  --threads A,B    thread counts, set in both processes (default: all cores, then 1)
  --devices LIST   cpu,cuda (default: cpu, plus cuda when both sides see a GPU)
  --only WHAT      conv or add
  --out FILE       results JSON (default bench/results/engine-<date>.json)
  --python PATH    the Python with PyTorch (default $FINEGRAIN_BENCH_PYTHON or /usr/bin/python3)
  --quick          a short smoke run`);
  process.exit(0);
}

const rounds = int(opt.rounds, opt.quick ? 3 : 15);
const iters = int(opt.iters, opt.quick ? 2 : 5);
const warmup = int(opt.warmup, 1);
const addLoops = int(opt['add-loops'], opt.quick ? 3 : 5);
const cores = availableParallelism();
const threadCounts = opt.threads ? opt.threads.split(',').map((t) => int(t, cores)) : [...new Set([cores, 1])];
const python = opt.python ?? process.env.FINEGRAIN_BENCH_PYTHON ?? '/usr/bin/python3';
const runConv = opt.only !== 'add';
const runAdd = opt.only !== 'conv';

const log = (msg: string) => process.stderr.write(`[bench engine] ${msg}\n`);
const blockMedian = (xs: number[]) => summarize(xs).median;
// Targets are judged on the median of per-round ratios: the two blocks of a round ran back
// to back and so saw the same load from other jobs. The ratio of overall medians is reported
// beside it.
const judged = (pairedRatios: number[]) => summarize(pairedRatios).median;

const script = join(root, 'bench/engine/torch_engine.py');
if (!existsSync(script)) throw new Error(`${script} not found: run the compiled build/bench/engine/run.js from the repository`);
const torch = await TorchSide.start(python, script);
const notes: string[] = [];
const loadAtStart = loadavg()[0]!;

try {
  const torchInfo = await torch.request<TorchInfo>({ cmd: 'info' });
  const machine = machineInfo(torchInfo);
  const bothCuda = cuda.isAvailable() && torchInfo.cudaAvailable;
  if (cuda.isAvailable() !== torchInfo.cudaAvailable) {
    notes.push(`CUDA seen by finegrain: ${cuda.isAvailable()}, by PyTorch: ${torchInfo.cudaAvailable}; GPU rows skipped`);
  }
  const devices = opt.devices ? opt.devices.split(',') : bothCuda ? ['cpu', 'cuda'] : ['cpu'];
  if (devices.includes('cuda') && !bothCuda) throw new Error('--devices cuda: CUDA is not available on both sides');
  if (devices.includes('cuda'))
    notes.push('GPU rows: each timed step is bracketed by CUDA synchronisation; cuDNN autotuning (benchmark mode) is off on both sides, their default');
  if (machine.libtorch.version.split('.').slice(0, 2).join('.') !== torchInfo.torchVersion.split('.').slice(0, 2).join('.')) {
    notes.push(`different libtorch versions: finegrain ${machine.libtorch.version}, PyTorch ${torchInfo.torchVersion}`);
  }

  const conv: ConvResult[] = [];
  const add: AddResult[] = [];
  for (const device of devices) {
    // The GPU does the work on its own; one thread count (all cores) is enough there.
    for (const threads of device === 'cpu' ? threadCounts : [threadCounts[0]!]) {
      setNumThreads(threads);
      const pyThreads = (await torch.request<{ numThreads: number }>({ cmd: 'threads', n: threads })).numThreads;
      if (getNumThreads() !== threads || pyThreads !== threads)
        throw new Error(`thread count: asked ${threads}, finegrain has ${getNumThreads()}, PyTorch ${pyThreads}`);
      if (runConv) conv.push(...(await benchConv(device, threads)));
      if (runAdd && device === 'cpu') add.push(await benchAdd(threads));
    }
  }

  const date = new Date();
  machine.loadAverage = { start: loadAtStart, end: loadavg()[0]! };
  if (Math.max(loadAtStart, machine.loadAverage.end) > cores / 2) {
    notes.push(
      `the machine was busy (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${machine.loadAverage.end.toFixed(1)} at the end, ${cores} cores): other jobs shared the cores, so the figures are noisy; rerun with more --rounds when it is quieter`,
    );
  }
  const results: EngineResults = {
    benchmark: 'engine',
    date: date.toISOString(),
    machine,
    settings: { rounds, warmup, iters, addLoops, threads: threadCounts, devices, convShape: CONV_SHAPE },
    conv,
    add,
    notes,
  };
  console.log(formatReport(results));
  const outFile = opt.out ?? join(root, 'bench/results', `engine-${date.toISOString().slice(0, 10)}.json`);
  mkdirSync(dirname(resolve(outFile)), { recursive: true });
  writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
  console.log(`\nresults written to ${outFile}`);
} finally {
  await torch.close();
}

/** Both conv modes on one device and thread count, interleaved round by round. */
async function benchConv(device: string, threads: number): Promise<ConvResult[]> {
  const cases = [];
  for (const mode of MODES) {
    const key = `${device}/${mode}`;
    log(`conv ${key}, ${threads} threads: setting up`);
    const fg = new ConvCase(CONV_SHAPE, mode, device as 'cpu' | 'cuda');
    for (let i = 0; i < 2; i++) fg.step();
    const fgSig = fg.signature();
    const py = await torch.request<{ signature: Signature }>({ cmd: 'conv_setup', key, device, mode, shape: CONV_SHAPE, warmup: 2 });
    if (JSON.stringify(fgSig) !== JSON.stringify(py.signature)) {
      fg.dispose();
      throw new Error(`conv ${key}: the two sides do different work:\n finegrain ${JSON.stringify(fgSig)}\n PyTorch   ${JSON.stringify(py.signature)}`);
    }
    cases.push({ mode, key, fg, signature: fgSig, samples: { finegrain: [] as number[][], pytorch: [] as number[][] } });
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const runFg = async () => c.samples.finegrain.push(c.fg.time(warmup, iters));
      const runPy = async () => c.samples.pytorch.push((await torch.request<{ ms: number[] }>({ cmd: 'conv', key: c.key, warmup, iters })).ms);
      // Alternate which side goes first, so a steady drift in load does not favour one.
      if (r % 2 === 0) await runFg().then(runPy);
      else await runPy().then(runFg);
      log(
        `conv ${c.key}, ${threads} threads, round ${r + 1}/${rounds}: finegrain ${blockMedian(c.samples.finegrain[r]!).toFixed(1)} ms, PyTorch ${blockMedian(c.samples.pytorch[r]!).toFixed(1)} ms`,
      );
    }
  }
  const out: ConvResult[] = [];
  for (const c of cases) {
    c.fg.dispose();
    await torch.request({ cmd: 'drop', key: c.key });
    const finegrainMs = summarize(c.samples.finegrain.flat());
    const pytorchMs = summarize(c.samples.pytorch.flat());
    const ratio = pytorchMs.median / finegrainMs.median;
    const paired = pairedRatios(c.samples.pytorch.map(blockMedian), c.samples.finegrain.map(blockMedian));
    out.push({
      device,
      threads,
      mode: c.mode,
      finegrainMs,
      pytorchMs,
      ratio,
      pairedRatio: summarize(paired),
      target: CONV_TARGET,
      pass: judged(paired) >= CONV_TARGET,
      signature: c.signature,
      samples: c.samples,
    });
  }
  return out;
}

/** Tiny adds: every finegrain variant (C++ floors included) and PyTorch, interleaved by round. */
async function benchAdd(threads: number): Promise<AddResult> {
  const samples = Object.fromEntries([...ADD_VARIANTS, 'pytorch'].map((k) => [k, [] as number[][]])) as Record<AddVariant | 'pytorch', number[][]>;
  const runFg = async () => {
    const block = timeAddBlock(ADD_NUMEL, ADDS_PER_LOOP, 1, addLoops);
    for (const v of ADD_VARIANTS) samples[v].push(block[v]);
  };
  const runPy = async () => {
    samples.pytorch.push((await torch.request<{ nsPerOp: number[] }>({ cmd: 'add', numel: ADD_NUMEL, n: ADDS_PER_LOOP, warmup: 1, loops: addLoops })).nsPerOp);
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) await runFg().then(runPy);
    else await runPy().then(runFg);
    log(
      `add, ${threads} threads, round ${r + 1}/${rounds}: finegrain ${blockMedian(samples.tensorApi[r]!).toFixed(0)} ns, PyTorch ${blockMedian(samples.pytorch[r]!).toFixed(0)} ns, C++ ${blockMedian(samples.cppUnboxed[r]!).toFixed(0)} ns`,
    );
  }
  const nsPerAdd = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v.flat())])) as AddResult['nsPerAdd'];
  const ratio = nsPerAdd.tensorApi.median / nsPerAdd.pytorch.median;
  const paired = pairedRatios(samples.tensorApi.map(blockMedian), samples.pytorch.map(blockMedian));
  // Overheads as medians of per-round differences: each round's floor was measured next to
  // the figures it is subtracted from, so drift in the machine's load cancels.
  const floors = samples.cppUnboxed.map(blockMedian);
  const aboveFloor = (k: AddVariant | 'pytorch') => summarize(samples[k].map((s, r) => blockMedian(s) - floors[r]!)).median;
  return {
    threads,
    numel: ADD_NUMEL,
    addsPerLoop: ADDS_PER_LOOP,
    nsPerAdd,
    ratio,
    pairedRatio: summarize(paired),
    target: ADD_TARGET,
    pass: judged(paired) <= ADD_TARGET,
    aboveFloorNs: { finegrain: aboveFloor('tensorApi'), nativeCall: aboveFloor('nativeCall'), pytorch: aboveFloor('pytorch'), boxing: aboveFloor('cppBoxed') },
    samples,
  };
}
