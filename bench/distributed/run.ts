/**
 * Data-parallel scaling on this machine: resnet50 training steps (batch 16 per rank, 224 px,
 * fp32, SGD with momentum) in three configurations, each a handful of steps:
 *   - 1 process × 1 thread (the baseline),
 *   - 2 processes × 1 thread over Gloo on 127.0.0.1, gradients through c10d's Reducer,
 *   - 1 process × 2 threads (the alternative use of the same two cores),
 *   - 2 processes × 1 thread with synchronised BatchNorm (--sync-batch-norm: two blocking
 *     sums over ranks per BatchNorm layer and step), for its cost against local BatchNorm,
 *   - 2 independent processes × 1 thread, no process group: two 1×1 runs side by side. What
 *     they lose against one 1×1 run alone is the machine's (shared caches, memory bandwidth,
 *     clocks), not communication: 2 × their speed is the ceiling any 2×1 run can reach here.
 *   - 2 processes × 1 thread with gradients as bucket views, and the same with float16
 *     gradient compression (c10d's FP16_COMPRESS hook: half the bytes all-reduced).
 * Prints samples/s, the Trainer's 2×1 (bucket views) against 1×1 (goal ≥ 1.8×) and against the
 * ceiling, 2×1 against 1×2, and for each 2×1 the gradient all-reduce time per step and how much
 * of it overlapped backward:
 *   comm       = a blocking all-reduce of every gradient (one coalesced message), timed alone;
 *   exposed    = backward with the reducer − backward without it (local accumulation, DDP's
 *                no_sync), the communication backward had to wait for;
 *   overlapped = 1 − exposed / comm.
 *
 * `node scripts/run-bench.mjs distributed [--steps N] [--warmup N] [--configs I,J,…] [--rounds N]
 * [--out FILE]`; run it under nice on a quiet machine. With --rounds the configs run in turn,
 * round after round, and every ratio is the median of its per-round ratios (paired: the box's
 * speed drifts by more than the gaps in question between one config's run and the next's). The same file is the worker (FG_BENCH_DISTRIBUTED_WORKER=1).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cacheHostMemory, createModel, crossEntropy, distributed, manualSeed, randn, scope, setNumThreads, SGD, tensor } from '../../src/index.js';
import { cpuModel } from '../engine/machine.js';
import { f, positiveInt as int, table } from '../format.js';

const HERE = fileURLToPath(import.meta.url);
const root = resolve(dirname(HERE), '../../..');
const BATCH = 16;
const SIZE = 224;

interface WorkerResult {
  rank: number;
  worldSize: number;
  threads: number;
  stepSeconds: number[];
  backwardSeconds: number[];
  localBackwardSeconds: number[];
  commSeconds: number[];
  buckets: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

async function worker(): Promise<void> {
  const steps = Number(process.env.FG_BENCH_STEPS);
  const warmup = Number(process.env.FG_BENCH_WARMUP);
  const threads = Number(process.env.FG_BENCH_THREADS);
  setNumThreads(threads);
  cacheHostMemory(true);
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const group = world > 1 ? await distributed.initProcessGroup({ timeoutMs: 600_000 }) : null;
  manualSeed(0);
  const model = createModel('resnet50', { numClasses: 100 });
  model.train();
  const statsGroup = group && process.env.FG_BENCH_SYNC_BN ? await group.duplicate() : null;
  if (statsGroup) distributed.convertSyncBatchNorm(model, statsGroup);
  const bucketView = process.env.FG_BENCH_BUCKET_VIEW === '1';
  const compression = (process.env.FG_BENCH_COMPRESSION || 'none') as distributed.GradientCompression;
  const reducer = group
    ? new distributed.GradientReducer(group, model.parameters(), { gradientAsBucketView: bucketView, gradientCompression: compression })
    : null;
  if (group) await distributed.broadcastModule(group, model);
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  // Gradients that are bucket views are zeroed in place; dropping them would cost the copy the views save.
  const zeroGrad = () => opt.zeroGrad(!bucketView);
  const x = randn([BATCH, 3, SIZE, SIZE]);
  const y = tensor(
    Array.from({ length: BATCH }, (_, i) => i % 100),
    { dtype: 'int64' },
  );
  const result: WorkerResult = {
    rank: group?.rank ?? 0,
    worldSize: world,
    threads,
    stepSeconds: [],
    backwardSeconds: [],
    localBackwardSeconds: [],
    commSeconds: [],
    buckets: reducer?.bucketSizes().length ?? 0,
  };
  // One step; `sync` false skips the reducer (local accumulation), to time backward alone.
  const step = (sync: boolean) =>
    scope(() => {
      const t0 = performance.now();
      const loss = crossEntropy(model.forward(x), y);
      if (sync) reducer?.prepare([loss]);
      const t1 = performance.now();
      loss.backward();
      const t2 = performance.now();
      opt.step();
      zeroGrad();
      return { step: (performance.now() - t0) / 1000, backward: (t2 - t1) / 1000 };
    });
  for (let i = 0; i < warmup; i++) step(true);
  for (let i = 0; i < steps; i++) {
    const t = step(true);
    result.stepSeconds.push(t.step);
    result.backwardSeconds.push(t.backward);
  }
  if (group) {
    for (let i = 0; i < Math.max(2, Math.ceil(steps / 2)); i++) result.localBackwardSeconds.push(step(false).backward);
    // Gradients of one step, all-reduced alone in one message: the communication cost
    // (compressed: cast to float16, all-reduced, cast back, as the hook does).
    scope(() => crossEntropy(model.forward(x), y).backward());
    const grads = model.parameters().map((p) => p.grad!);
    for (let i = 0; i < 3; i++) {
      await group.barrier();
      const t0 = performance.now();
      if (compression === 'fp16') {
        const halves = grads.map((g) => g.to({ dtype: 'float16' }));
        await group.allReduce(halves);
        for (let j = 0; j < grads.length; j++) grads[j]!.copy_(halves[j]!);
        for (const h of halves) h.dispose();
      } else await group.allReduce(grads);
      result.commSeconds.push((performance.now() - t0) / 1000);
    }
    zeroGrad();
    reducer!.dispose();
    statsGroup?.destroy();
    group.destroy();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

interface Config {
  name: string;
  procs: number;
  threads: number;
  syncBatchNorm?: boolean;
  /** Processes that never form a group: the machine's ceiling for running two at once. */
  independent?: boolean;
  /** The reducer's gradientAsBucketView. */
  bucketView?: boolean;
  /** The reducer's gradientCompression. */
  compression?: distributed.GradientCompression;
}

interface Measured extends Config {
  stepSeconds: number;
  samplesPerSecond: number;
  commSeconds: number;
  backwardSeconds: number;
  localBackwardSeconds: number;
  exposedCommSeconds: number;
  overlapped: number;
  buckets: number;
  ranks: WorkerResult[];
}

function runConfig(c: Config, steps: number, warmup: number, port: number): Promise<WorkerResult[]> {
  const { procs, threads, syncBatchNorm = false, independent = false, bucketView = false, compression = 'none' } = c;
  return Promise.all(
    Array.from(
      { length: procs },
      (_, rank) =>
        new Promise<WorkerResult>((resolvePromise, reject) => {
          const child = spawn(process.execPath, [HERE], {
            env: {
              ...process.env,
              FG_BENCH_DISTRIBUTED_WORKER: '1',
              FG_BENCH_STEPS: String(steps),
              FG_BENCH_WARMUP: String(warmup),
              FG_BENCH_THREADS: String(threads),
              OMP_NUM_THREADS: String(threads),
              FG_BENCH_SYNC_BN: syncBatchNorm ? '1' : '',
              FG_BENCH_BUCKET_VIEW: bucketView ? '1' : '',
              FG_BENCH_COMPRESSION: compression,
              ...(procs > 1 && !independent
                ? { RANK: String(rank), WORLD_SIZE: String(procs), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }
                : { WORLD_SIZE: '' }),
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout!.on('data', (d: Buffer) => (out += d));
          child.on('close', (code) =>
            code === 0
              ? resolvePromise(JSON.parse(out.trim().split('\n').pop()!))
              : reject(new Error(`worker ${rank} of ${procs}×${threads} exited with ${code}`)),
          );
        }),
    ),
  );
}

/** One run of configuration `c`, summarised. */
async function measure(c: Config, steps: number, warmup: number, port: number): Promise<Measured> {
  const ranks = await runConfig(c, steps, warmup, port);
  const grouped = c.procs > 1 && !c.independent;
  // A data-parallel step ends when its slowest rank does.
  const stepSeconds = Math.max(...ranks.map((r) => median(r.stepSeconds)));
  const comm = grouped ? Math.max(...ranks.map((r) => median(r.commSeconds))) : NaN;
  const backward = grouped ? Math.max(...ranks.map((r) => median(r.backwardSeconds))) : NaN;
  const localBackward = grouped ? Math.max(...ranks.map((r) => median(r.localBackwardSeconds))) : NaN;
  const exposed = Math.max(0, backward - localBackward);
  return {
    ...c,
    stepSeconds,
    samplesPerSecond: (c.procs * BATCH) / stepSeconds,
    commSeconds: comm,
    backwardSeconds: backward,
    localBackwardSeconds: localBackward,
    exposedCommSeconds: exposed,
    overlapped: grouped ? Math.min(1, Math.max(0, 1 - exposed / comm)) : NaN,
    buckets: ranks[0]!.buckets,
    ranks,
  };
}

async function main(): Promise<void> {
  const { values: opt } = parseArgs({
    options: {
      steps: { type: 'string' },
      configs: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (opt.help) {
    console.log(
      'usage: node scripts/run-bench.mjs distributed [--steps N (4)] [--warmup N (1)] [--port P (29561)] [--configs I,J,… (all; 0 1×1, 1 2×1, 2 1×2, 3 sync BN, 4 independent, 5 bucket views = the Trainer, 6 fp16 compression)] [--rounds N (1)] [--out FILE]',
    );
    return;
  }
  const steps = int(opt.steps, 4);
  const warmup = int(opt.warmup, 1);
  const port = int(opt.port, 29561);
  const load = loadavg()[0]!;
  const configs: Config[] = [
    { name: '1 process × 1 thread', procs: 1, threads: 1 },
    { name: '2 processes × 1 thread', procs: 2, threads: 1 },
    { name: '1 process × 2 threads', procs: 1, threads: 2 },
    { name: '2 processes × 1 thread, synchronised BatchNorm', procs: 2, threads: 1, syncBatchNorm: true },
    { name: '2 independent processes × 1 thread (no process group)', procs: 2, threads: 1, independent: true },
    { name: '2 processes × 1 thread, gradients as bucket views', procs: 2, threads: 1, bucketView: true },
    { name: '2 processes × 1 thread, bucket views, float16 gradient compression', procs: 2, threads: 1, bucketView: true, compression: 'fp16' },
  ];
  // --configs 0,5,4: a subset of the list above (by index); a ratio whose configs were left out is NaN.
  const chosen = opt.configs ? opt.configs.split(',').map(Number) : configs.map((_, i) => i);
  if (chosen.some((i) => !configs[i])) throw new Error(`--configs: indices 0…${configs.length - 1}`);
  // --rounds N runs the chosen configs N times in turn (ABCABC…): the box's speed drifts by more
  // than the gaps measured here, so the ratios are medians of ratios within each round.
  const rounds = int(opt.rounds, 1);
  const perRound: Map<number, Measured>[] = [];
  for (let round = 0; round < rounds; round++) {
    const got = new Map<number, Measured>();
    for (const i of chosen) {
      const m = await measure(configs[i]!, steps, warmup, port);
      got.set(i, m);
      console.error(`${rounds > 1 ? `round ${round + 1}/${rounds}, ` : ''}${m.name}: ${f(m.samplesPerSecond, 2)} samples/s`);
    }
    perRound.push(got);
  }
  // Each config's figures: medians over the rounds (the per-round figures kept beside them).
  const measured = chosen.map((i) => {
    const all = perRound.map((r) => r.get(i)!);
    const med = (key: keyof Measured) => median(all.map((m) => m[key] as number));
    return {
      ...all[0]!,
      stepSeconds: med('stepSeconds'),
      samplesPerSecond: med('samplesPerSecond'),
      commSeconds: med('commSeconds'),
      backwardSeconds: med('backwardSeconds'),
      localBackwardSeconds: med('localBackwardSeconds'),
      exposedCommSeconds: med('exposedCommSeconds'),
      overlapped: med('overlapped'),
      ranks: all.flatMap((m) => m.ranks),
      samplesPerSecondByRound: all.map((m) => m.samplesPerSecond),
    };
  });
  // configs[a]'s samples/s over configs[b]'s, within each round, median over the rounds.
  const ratio = (a: number, b: number, scale = 1) =>
    chosen.includes(a) && chosen.includes(b) ? median(perRound.map((r) => r.get(a)!.samplesPerSecond / (scale * r.get(b)!.samplesPerSecond))) : NaN;
  const [ONE, TWO, THREADS2, SYNCED, SIDE, VIEWED, COMPRESSED] = [0, 1, 2, 3, 4, 5, 6];
  const date = new Date();
  const results = {
    bench: 'distributed',
    date: date.toISOString(),
    cpu: cpuModel(),
    loadAverageAtStart: load,
    settings: { model: 'resnet50', batchPerRank: BATCH, imageSize: SIZE, precision: 'float32', steps, warmup, backend: 'gloo', bucketCapMb: 25 },
    rounds,
    configs: measured,
    // The Trainer's configuration (gradients as bucket views) against one process: the goal.
    trainer2x1Over1x1: ratio(VIEWED, ONE),
    trainerEfficiencyAgainstCeiling: ratio(VIEWED, SIDE),
    speedup2x1Over1x1: ratio(TWO, ONE),
    scalingEfficiency: ratio(TWO, ONE, 2),
    ratio2x1Over1x2: ratio(TWO, THREADS2),
    syncBatchNormOverLocal: ratio(SYNCED, TWO),
    // Two 1×1 runs side by side against one alone: the most two processes can gain here.
    ceiling2x1Over1x1: ratio(SIDE, ONE),
    efficiencyAgainstCeiling: ratio(TWO, SIDE),
    bucketViewOverCopy: ratio(VIEWED, TWO),
    bucketView2x1Over1x1: ratio(VIEWED, ONE),
    fp16CompressionOverBucketView: ratio(COMPRESSED, VIEWED),
    fp16Compression2x1Over1x1: ratio(COMPRESSED, ONE),
  };
  console.log(
    `resnet50 training, batch ${BATCH} per rank, ${SIZE} px, fp32 — ${results.cpu}, ${date.toISOString().slice(0, 10)}, load ${f(load, 2)} at start${rounds > 1 ? `; medians of ${rounds} rounds` : ''}`,
  );
  console.log(
    table(
      ['configuration', 'step (s)', 'samples/s', 'all-reduce alone (s)', 'exposed in backward (s)', 'overlapped'],
      measured.map((m) => [
        m.name,
        f(m.stepSeconds, 2),
        f(m.samplesPerSecond, 2),
        f(m.commSeconds, 3),
        f(m.exposedCommSeconds, 3),
        Number.isFinite(m.overlapped) ? `${f(100 * m.overlapped, 0)}%` : '-',
      ]),
    ),
  );
  console.log(
    `the Trainer's 2×1 (bucket views) / 1×1: ${f(results.trainer2x1Over1x1, 2)}× (goal ≥ 1.8×), ${f(100 * results.trainerEfficiencyAgainstCeiling, 0)}% of the ceiling below`,
  );
  console.log(
    `2×1 (copying reducer) / 1×1: ${f(results.speedup2x1Over1x1, 2)}×, scaling efficiency ${f(100 * results.scalingEfficiency, 0)}%; 2×1 / 1×2: ${f(results.ratio2x1Over1x2, 2)}×; synchronised / local BatchNorm (2×1): ${f(results.syncBatchNormOverLocal, 2)}×`,
  );
  console.log(
    `two independent 1×1 runs side by side / one alone: ${f(results.ceiling2x1Over1x1, 2)}× (this machine's ceiling for 2 processes); 2×1 reaches ${f(100 * results.efficiencyAgainstCeiling, 0)}% of it`,
  );
  console.log(`gradients as bucket views (2×1): ${f(results.bucketViewOverCopy, 3)}× the copying reducer, ${f(results.bucketView2x1Over1x1, 2)}× of 1×1`);
  console.log(
    `float16 gradient compression (2×1, bucket views): ${f(results.fp16CompressionOverBucketView, 3)}× without it, ${f(results.fp16Compression2x1Over1x1, 2)}× of 1×1`,
  );
  const outFile = opt.out ?? join(root, 'bench/results', `distributed-${date.toISOString().slice(0, 10)}.json`);
  mkdirSync(dirname(resolve(outFile)), { recursive: true });
  writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n');
  console.log(`results written to ${outFile}`);
}

if (process.env.FG_BENCH_DISTRIBUTED_WORKER) await worker();
else await main();
