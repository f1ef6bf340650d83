/**
 * bench/infer's result types and its text report: per workload (model × batch) one row per
 * contender — ms per batch (median [p25–p75]), images/s, peak resident memory, how far its
 * logits are from finegrain fp32's — then the issue's goals as paired ratios with ✓/✗.
 */
import { f, spread, table } from '../format.js';
import type { Summary } from '../engine/stats.js';

export type ContenderName =
  'finegrain-default' | 'finegrain-aten' | 'finegrain-fp32' | 'finegrain-autocast' | 'pytorch-fp32' | 'pytorch-bf16-cl' | 'ort-fp32' | 'ort-int8';

export interface ContenderResult {
  name: ContenderName;
  /** What the worker reported about its settings (precision, layout, threads, versions). */
  settings: Record<string, unknown>;
  iters: number;
  warmupMs: number[];
  /** Per round, the ms of each timed forward pass. */
  samples: number[][];
  msPerBatch: Summary;
  imagesPerSecond: number;
  rssAtStartMiB: number;
  peakRssMiB: number;
  /** max |logit − finegrain fp32's| / max |finegrain fp32 logit|, and top-1 agreement. */
  vsFp32: { maxRelDiff: number; top1Agreement: number };
}

export interface Goal {
  name: string;
  numerator: ContenderName;
  denominator: ContenderName;
  /** Median of per-round throughput ratios (numerator / denominator). */
  pairedRatio: Summary;
  target: number | null;
  pass: boolean | null;
}

export interface WorkloadResult {
  model: string;
  batch: number;
  size: number;
  loadAverage: { start: number; end: number };
  contenders: ContenderResult[];
  goals: Goal[];
}

export interface InferResults {
  benchmark: 'infer';
  date: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  prepared: Record<string, unknown>;
  workloads: WorkloadResult[];
  notes: string[];
}

const mark = (g: Goal) => (g.pass === null ? '' : g.pass ? '✓' : '✗');

export function formatReport(r: InferResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `bench/infer — ${r.date}, ${String(m.cpuModel)}, ${String(m.cores)} cores, ${r.settings.threads} threads in every contender, load average ${JSON.stringify(m.loadAverage)}`,
  );
  for (const w of r.workloads) {
    out.push('', `${w.model}, batch ${w.batch}, ${w.size} px (load average ${f(w.loadAverage.start)} → ${f(w.loadAverage.end)})`);
    out.push(
      table(
        ['contender', 'ms/batch median [p25-p75]', 'images/s', 'peak RSS MiB', 'RSS at start', 'iters x rounds', 'max rel diff vs fp32', 'top-1 agree'],
        w.contenders.map((c) => [
          c.name,
          spread(c.msPerBatch, 1),
          f(c.imagesPerSecond, 1),
          f(c.peakRssMiB, 0),
          f(c.rssAtStartMiB, 0),
          `${c.iters} x ${c.samples.length}`,
          c.vsFp32.maxRelDiff.toExponential(1),
          `${f(100 * c.vsFp32.top1Agreement, 0)}%`,
        ]),
      ),
    );
    out.push(
      table(
        ['ratio (images/s, paired median [p25-p75])', 'ratio', 'goal', ''],
        w.goals.map((g) => [g.name, spread(g.pairedRatio, 2), g.target === null ? '-' : `≥ ${g.target}`, mark(g)]),
      ),
    );
  }
  if (r.notes.length) out.push('', 'notes:', ...r.notes.map((n) => `- ${n}`));
  return out.join('\n');
}
