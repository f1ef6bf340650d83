/**
 * The engine benchmark's results: their JSON shape and the table printed to stdout.
 *
 * @example
 *   console.log(formatReport(results));
 */
import type { MachineInfo } from './machine.js';
import { f, spread, table } from '../format.js';
import type { Summary } from './stats.js';
import type { AddVariant, ConvMode, ConvShape, Signature } from './workloads.js';

export interface ConvResult {
  device: string;
  threads: number;
  mode: ConvMode;
  /** Milliseconds per forward+backward step, over all timed steps of all rounds. */
  finegrainMs: Summary;
  pytorchMs: Summary;
  /** finegrain throughput / PyTorch throughput = PyTorch median time / finegrain median time. */
  ratio: number;
  /** The same ratio per round (block medians run back to back); `pass` is judged on its median. */
  pairedRatio: Summary;
  target: number;
  pass: boolean;
  signature: Signature;
  /** Raw per-step times, one array per round. */
  samples: { finegrain: number[][]; pytorch: number[][] };
}

export interface AddResult {
  threads: number;
  numel: number;
  addsPerLoop: number;
  /** Nanoseconds per add, one summary per way of calling it. */
  nsPerAdd: Record<AddVariant | 'pytorch', Summary>;
  /** finegrain (Tensor.add) time per add / PyTorch (`a + b`) time per add. */
  ratio: number;
  pairedRatio: Summary;
  target: number;
  pass: boolean;
  /** ns per add above the C++ floor (at::add called from C++ in the Node process): the median over rounds of (block median - that round's floor). */
  aboveFloorNs: { finegrain: number; nativeCall: number; pytorch: number; boxing: number };
  samples: Record<AddVariant | 'pytorch', number[][]>;
}

export interface EngineResults {
  benchmark: 'engine';
  date: string;
  machine: MachineInfo;
  settings: { rounds: number; warmup: number; iters: number; addLoops: number; threads: number[]; devices: string[]; convShape: ConvShape };
  conv: ConvResult[];
  add: AddResult[];
  notes: string[];
}

const verdict = (ok: boolean) => (ok ? 'yes' : 'NO');

export function formatReport(r: EngineResults): string {
  const m = r.machine;
  const s = r.settings;
  const c = s.convShape;
  const out: string[] = [];
  out.push(`finegrain engine benchmark, ${r.date}`);
  out.push(`machine   ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`);
  out.push(`libtorch  ${m.libtorch.version} (finegrain addon)   PyTorch ${m.pytorch.version} (Python ${m.pytorch.python}, ${m.pytorch.executable})`);
  if (m.pytorch.cudaDevice) out.push(`GPU       ${m.pytorch.cudaDevice}`);
  if (m.loadAverage) out.push(`load      1-minute load average ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end`);
  out.push(`method    ${s.rounds} rounds alternating Node and Python blocks (which goes first alternates too);`);
  out.push(`          conv blocks: ${s.warmup} warm-up + ${s.iters} timed steps; add blocks: 1 warm-up + ${s.addLoops} timed loops per variant;`);
  out.push(`          figures are medians [25th-75th percentile] of all timed samples; "paired" is the median of per-round ratios
          (the two blocks of a round ran back to back); targets ("met") are judged on the paired ratio`);
  if (r.conv.length) {
    out.push('');
    out.push(
      `conv2d forward+backward, batch ${c.batch}, ${c.inChannels}->${c.outChannels} channels, ${c.size}x${c.size}, ${c.kernel}x${c.kernel}, padding ${c.padding}`,
    );
    out.push(`(ms per step; ratio = finegrain/PyTorch throughput, target >= ${r.conv[0]!.target})`);
    out.push(
      table(
        ['device', 'threads', 'mode', 'finegrain ms', 'PyTorch ms', 'ratio', 'paired [p25-p75]', 'met'],
        r.conv.map((x) => [
          x.device,
          String(x.threads),
          x.mode,
          spread(x.finegrainMs),
          spread(x.pytorchMs),
          f(x.ratio, 3),
          spread(x.pairedRatio, 3),
          verdict(x.pass),
        ]),
      ),
    );
  }
  if (r.add.length) {
    const a0 = r.add[0]!;
    out.push('');
    out.push(`tiny add, ${a0.numel}-element float32 tensors, ${a0.addsPerLoop} adds per loop, result freed each time`);
    out.push(`(ns per add; ratio = finegrain Tensor.add / PyTorch a + b, target <= ${a0.target})`);
    out.push(
      table(
        ['threads', 'C++ at::add', 'C++ boxed', 'native.call', 'Tensor.add', 'PyTorch a+b', 'ratio', 'paired [p25-p75]', 'met'],
        r.add.map((x) => [
          String(x.threads),
          f(x.nsPerAdd.cppUnboxed.median, 0),
          f(x.nsPerAdd.cppBoxed.median, 0),
          f(x.nsPerAdd.nativeCall.median, 0),
          spread(x.nsPerAdd.tensorApi, 0),
          spread(x.nsPerAdd.pytorch, 0),
          f(x.ratio, 3),
          spread(x.pairedRatio, 3),
          verdict(x.pass),
        ]),
      ),
    );
    out.push('');
    out.push('overhead above the C++ floor (at::add called from C++ in the same process), ns per add:');
    out.push(
      table(
        ['threads', 'finegrain Tensor.add', 'finegrain native.call', 'PyTorch a+b', 'of which boxing'],
        r.add.map((x) => [
          String(x.threads),
          f(x.aboveFloorNs.finegrain, 0),
          f(x.aboveFloorNs.nativeCall, 0),
          f(x.aboveFloorNs.pytorch, 0),
          f(x.aboveFloorNs.boxing, 0),
        ]),
      ),
    );
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
