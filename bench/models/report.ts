/**
 * bench/models results: their JSON shape and the table printed to stdout.
 *
 * @example
 *   console.log(formatReport(results));
 */
import type { MachineInfo } from '../engine/machine.js';
import { f, spread, table } from '../format.js';
import type { Summary } from '../engine/stats.js';
import type { Signature, TrainMode, Workload } from './workloads.js';

export type Side = 'finegrain' | 'pytorch';

export interface CaseResult {
  side: Side;
  mode: TrainMode;
  /** Milliseconds per training step over all timed steps of all rounds. */
  stepMs: Summary;
  /** batch / median step time. */
  imagesPerSecond: number;
  /** Raw step times, one array per round. */
  samples: number[][];
}

export interface Comparison {
  /** What is compared, e.g. 'fp32 parity'. */
  name: string;
  numerator: { side: Side; mode: TrainMode };
  denominator: { side: Side; mode: TrainMode };
  /** Throughput ratio numerator / denominator (= denominator median time / numerator median time). */
  ratio: number;
  /** The same ratio per round (block medians run back to back); its median is the verdict. */
  pairedRatio: Summary;
  target: number;
  /** pairedRatio.median >= target. */
  pass: boolean;
}

export interface ModelResult {
  workload: Workload;
  /** What each side computes per mode (checked equal before timing). */
  signatures: Partial<Record<TrainMode, Signature>>;
  cases: CaseResult[];
  comparisons: Comparison[];
  /** Per round: microseconds of a parallel 100k-element add (the machine's busyness). */
  probeMicros: number[];
}

export interface ModelsResults {
  benchmark: 'models';
  date: string;
  machine: MachineInfo & { cpuFlags: { amx_bf16: boolean; avx512_bf16: boolean }; torchvision: string };
  settings: {
    /** Where both sides trained: 'cpu' or 'cuda'. */
    device: 'cpu' | 'cuda';
    rounds: number;
    warmup: number;
    iters: number;
    threads: number;
    sgd: Record<string, number>;
    finegrainDefaultPrecision: string;
    finegrainDefaultChannelsLast: boolean;
  };
  models: ModelResult[];
  notes: string[];
}

export function formatReport(r: ModelsResults): string {
  const m = r.machine;
  const s = r.settings;
  const out: string[] = [];
  out.push(`finegrain models benchmark (training throughput), ${r.date}`);
  out.push(`machine   ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`);
  out.push(`          CPU flags: amx_bf16 ${m.cpuFlags.amx_bf16 ? 'yes' : 'no'}, avx512_bf16 ${m.cpuFlags.avx512_bf16 ? 'yes' : 'no'}`);
  out.push(
    `libtorch  ${m.libtorch.version} (finegrain addon)   PyTorch ${m.pytorch.version}, torchvision ${m.torchvision} (Python ${m.pytorch.python}, ${m.pytorch.executable})`,
  );
  if (m.loadAverage) out.push(`load      1-minute load average ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end`);
  out.push(
    `method    one training step = forward, cross-entropy, backward, SGD(lr ${s.sgd.lr}, momentum ${s.sgd.momentum}, weight decay ${s.sgd.weightDecay}), grads dropped;`,
  );
  if (s.device === 'cuda') out.push(`device    CUDA: ${m.pytorch.cudaDevice ?? 'a GPU'} (model and batch on the GPU on both sides)`);
  out.push(`          ${s.threads} threads on both sides; ${s.rounds} rounds, each running every case once (order reversed every other round),`);
  out.push(`          ${s.warmup} warm-up + ${s.iters} timed steps per block; medians [25th-75th percentile]; "paired" = median of per-round ratios`);
  out.push(`          (the verdict: rounds run their blocks back to back, so load from other jobs hits both sides of a pair alike)`);
  out.push(
    `          finegrain's default CPU training precision here: ${s.finegrainDefaultPrecision}${s.finegrainDefaultChannelsLast ? ' + channels-last' : ''}`,
  );
  for (const mr of r.models) {
    const w = mr.workload;
    out.push('');
    out.push(
      `${w.model}, batch ${w.batch}, ${w.size}x${w.size}, ${(mr.signatures.fp32 ?? mr.signatures['bf16-channels-last'])?.params.toLocaleString('en-US') ?? '?'} parameters`,
    );
    out.push(
      table(
        ['side', 'mode', 'ms per step', 'images/s'],
        mr.cases.map((c) => [c.side, c.mode, spread(c.stepMs, 0), f(c.imagesPerSecond, 2)]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['comparison', 'ratio of medians', 'paired [p25-p75]', 'target', 'met'],
        mr.comparisons.map((c) => [
          `${c.name} (${c.numerator.side} ${c.numerator.mode} / ${c.denominator.side} ${c.denominator.mode})`,
          f(c.ratio, 3),
          spread(c.pairedRatio, 3),
          `>= ${c.target}`,
          c.pass ? 'yes' : 'NO',
        ]),
      ),
    );
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
