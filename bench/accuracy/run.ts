/**
 * bench/accuracy: the best model a time budget allows (issue 32). On cub100 and cars33, with
 * the MobileNetV2 ImageNet import as backbone, at each budget:
 *
 *   finegrain train --pretrained imagenet --budget B      (the planned recipe)
 *   the PyTorch fine-tune a user would write               (same weights, data and budget; the
 *                                                           best of --torch-lrs on validation)
 *   a linear probe on the frozen backbone, and finegrain's previous defaults (one run each)
 *
 * Validation (finegrain's 10 % split, seed 0) makes every choice; test images are read once
 * per arm, by its final evaluation. Results: a table, and JSON in bench/results. A finished
 * arm is kept in --work and not run again, so an interrupted run continues.
 *
 *   npm run bench -- accuracy [--datasets cars33,cub100] [--budgets 15m,30m,60m]
 *       [--arms finegrain,torch,probe,previous] [--torch-lrs 3e-4,1e-3,3e-3] [--work DIR] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuModel } from '../engine/machine.js';
import { table } from '../format.js';
import { formatDuration, parseDuration } from '../../src/train/plan/duration.js';
import { finegrainArm, previousArm, probeArm, torchRun, torchTest, type ArmResult, type TorchRun } from './arms.js';
import { benchDataset } from './datasets.js';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'cars33,cub100' },
    budgets: { type: 'string', default: '15m,30m,60m' },
    arms: { type: 'string', default: 'finegrain,torch,probe,previous' },
    'torch-lrs': { type: 'string', default: '3e-4,1e-3,3e-3' },
    shared: { type: 'string', default: '../shared' },
    work: { type: 'string', default: 'runs/accuracy' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: npm run bench -- accuracy [--datasets cars33,cub100] [--budgets 15m,30m,60m]
    [--arms finegrain,torch,probe,previous] [--torch-lrs 3e-4,1e-3,3e-3] [--shared DIR] [--work DIR] [--out FILE]

  --datasets   which of the developers' datasets (cars33, cub100)
  --budgets    wall-clock budgets per training run (30m, 1h, 900)
  --arms       finegrain (planned recipe), torch (PyTorch fine-tune, best of --torch-lrs on
               validation at each budget), probe (linear probe), previous (the old defaults)
  --work       where runs and per-arm results are kept (an interrupted run continues there)
  --python     the Python with torch + torchvision (Debian's by default)`);
  process.exit(0);
}
const arms = new Set(values.arms!.split(','));
const budgets = values.budgets!.split(',').map((b) => parseDuration(b));
const work = values.work!;
mkdirSync(join(work, 'runs'), { recursive: true });
const loadStart = loadavg()[0]!;
const results: ArmResult[] = [];
const lrChoices: Record<string, TorchRun[]> = {};

for (const name of values.datasets!.split(',')) {
  const d = benchDataset(name, values.shared!);
  if (arms.has('probe')) results.push(await probeArm(work, d));
  if (arms.has('previous')) results.push(await previousArm(work, d));
  for (const budget of budgets) {
    if (arms.has('finegrain')) results.push(await finegrainArm(work, d, budget));
    if (arms.has('torch')) {
      const runs: TorchRun[] = [];
      for (const lr of values['torch-lrs']!.split(',').map(Number)) runs.push(await torchRun(work, d, budget, lr, values.python!));
      lrChoices[`${name}-${budget}`] = runs;
      const best = runs.reduce((a, b) => (b.valTop1 > a.valTop1 ? b : a));
      results.push(await torchTest(work, d, best, values.python!));
    }
  }
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
console.log(
  '\n' +
    table(
      ['dataset', 'budget', 'arm', 'top-1 %', 'top-5 %', 'mean class %', 'wall', 'detail'],
      results.map((r) => [
        r.dataset,
        r.budget ? formatDuration(r.budget) : '–',
        r.arm,
        pct(r.top1),
        pct(r.top5),
        pct(r.meanClassAccuracy),
        formatDuration(r.seconds),
        r.arm === 'torch' ? `lr ${r.detail.lr}, ${r.detail.epochs} epochs` : r.arm === 'probe' ? `wd ${r.detail.weightDecay}` : '',
      ]),
    ),
);
// The goals of issue 32, per dataset and budget.
for (const r of results.filter((x) => x.arm === 'finegrain')) {
  const torch = results.find((x) => x.arm === 'torch' && x.dataset === r.dataset && x.budget === r.budget);
  const probe = results.find((x) => x.arm === 'probe' && x.dataset === r.dataset);
  const overrun = r.budget ? r.seconds / r.budget - 1 : 0;
  console.log(
    `${r.dataset} ${formatDuration(r.budget!)}: ` +
      [
        torch ? `vs torch ${((r.top1 - torch.top1) * 100).toFixed(1)} points (goal ≥ 5)` : null,
        probe ? `vs probe ${((r.top1 - probe.top1) * 100).toFixed(1)} points (goal ≥ 10)` : null,
        `wall ${(100 * (1 + overrun)).toFixed(1)} % of the budget (goal ≤ 105 %)`,
      ]
        .filter(Boolean)
        .join(', '),
  );
}
const date = new Date().toISOString().slice(0, 10);
const out = values.out ?? `bench/results/accuracy-${date}.json`;
const machine = { cpu: cpuModel(), cores: cpus().length, loadAverage: { start: loadStart, end: loadavg()[0]! } };
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, budgets, results, torchLearningRates: lrChoices }, null, 2) + '\n');
console.log(`\nresults in ${out}`);
