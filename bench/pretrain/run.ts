/**
 * bench/pretrain (issue 34): MAE pretraining, on demand.
 *
 * - throughput: pretraining steps/s of finegrain against a PyTorch implementation of the same
 *   model and masking (torch_mae.py), same run, fp32 and bf16 autocast (goal ≥ 1.0x);
 * - accuracy: MAE on the developers' unlabelled photos, then cub100 fine-tuning at 10/30/100 %
 *   of the labels, against the same ViT from scratch with the same recipe and epochs (goal: MAE
 *   ≥ 10 points top-1 over scratch; the gap should grow as labels shrink). Hours on a 2-core
 *   CPU: every step is kept in --work, so a stopped run continues.
 *
 *   npm run bench -- pretrain [--part throughput|accuracy|all] [--model vit_tiny_patch16_224]
 *       [--image-size 128] [--pretrain-epochs 200] [--finetune-epochs 30] [--labels 0.1,0.3,1]
 *       [--work runs/bench-pretrain] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { cpuModel } from '../engine/machine.js';
import { f, table } from '../format.js';
import { finegrainSteps, torchSteps, type ThroughputConfig } from './throughput.js';
import { finetune, maeRun, unlabelledUnion, type AccuracyOptions, type FinetuneResult } from './accuracy.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    model: { type: 'string', default: 'vit_tiny_patch16_224' },
    'image-size': { type: 'string', default: '128' },
    'batch-size': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '8' },
    'pretrain-epochs': { type: 'string', default: '200' },
    'finetune-epochs': { type: 'string', default: '30' },
    labels: { type: 'string', default: '0.1,0.3,1' },
    shared: { type: 'string', default: '../shared' },
    work: { type: 'string', default: 'runs/bench-pretrain' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: npm run bench -- pretrain [--part throughput|accuracy|all] [--model vit_tiny_patch16_224]
    [--image-size 128] [--batch-size 64] [--rounds 3] [--steps 8] [--pretrain-epochs 200]
    [--finetune-epochs 30] [--labels 0.1,0.3,1] [--shared DIR] [--work DIR] [--python PY] [--out FILE]

  --part             throughput (finegrain vs PyTorch MAE steps/s), accuracy (MAE vs scratch on
                     cub100 at each label share), or all
  --rounds, --steps  throughput: rounds of alternating processes, measured steps per round
  --pretrain-epochs  accuracy: MAE epochs over the unlabelled union (cub100 + cars33 train)
  --finetune-epochs  accuracy: fine-tuning epochs, the same for both initialisations
  --labels           accuracy: shares of cub100's training labels
  --work             accuracy: where runs and results are kept (a stopped run continues there)`);
  process.exit(0);
}
const imageSize = Number(values['image-size']);
const batchSize = Number(values['batch-size']);
const loadStart = loadavg()[0]!;
const report: Record<string, unknown> = {};

if (values.part === 'throughput' || values.part === 'all') {
  const rows: string[][] = [];
  const throughput: Record<string, unknown>[] = [];
  for (const precision of ['float32', 'bfloat16'] as const) {
    const c: ThroughputConfig = {
      model: values.model!,
      imageSize,
      patchSize: 16,
      batchSize,
      maskRatio: 0.75,
      precision,
      threads: cpus().length,
      warmup: 2,
      steps: Number(values.steps),
    };
    const ratios: number[] = [];
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < Number(values.rounds); r++) {
      const order = r % 2 === 0 ? ['finegrain', 'torch'] : ['torch', 'finegrain'];
      const t: Record<string, number> = {};
      for (const side of order) t[side] = side === 'finegrain' ? finegrainSteps(c) : torchSteps(c, values.python!);
      ours.push(t.finegrain!);
      theirs.push(t.torch!);
      ratios.push(t.torch! / t.finegrain!);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push([precision, f(med(ours), 0), f(med(theirs), 0), f((batchSize * 1000) / med(ours), 1), f((batchSize * 1000) / med(theirs), 1), f(med(ratios), 2)]);
    throughput.push({ precision, finegrainMs: ours, torchMs: theirs, ratios });
  }
  console.log(`\nMAE pretraining step, ${values.model} at ${imageSize} px, batch ${batchSize}, mask 0.75, ${cpus().length} threads`);
  console.log(table(['precision', 'finegrain ms', 'PyTorch ms', 'finegrain img/s', 'PyTorch img/s', 'ratio (goal ≥ 1.0)'], rows));
  report.throughput = throughput;
}

if (values.part === 'accuracy' || values.part === 'all') {
  const o: AccuracyOptions = {
    shared: values.shared!,
    work: values.work!,
    model: values.model!,
    imageSize,
    pretrainEpochs: Number(values['pretrain-epochs']),
    batchSize,
    finetuneEpochs: Number(values['finetune-epochs']),
    labelShares: values.labels!.split(',').map(Number),
    // One recipe for both initialisations (MAE's fine-tuning recipe, as the plan picks it for an MAE
    // start, every key given so neither arm is planned), except layer decay: MAE's only (it would
    // hold back the early layers of a random network).
    // prettier-ignore
    finetuneFlags: ['--optimizer', 'adamw', '--lr', '1e-3', '--weight-decay', '0.05', '--drop-path', '0.1', '--global-pool', 'avg',
      '--label-smoothing', '0.1', '--warmup-epochs', '3', '--batch-size', '32', '--augment', 'randaugment', '--drop-rate', '0', '--crop-scale', '0.25'],
    maeFlags: ['--layer-decay', '0.75'],
  };
  mkdirSync(o.work, { recursive: true });
  const data = unlabelledUnion(o.shared, o.work);
  const mae = maeRun(o, data);
  const results: FinetuneResult[] = [];
  for (const share of o.labelShares) for (const init of ['mae', 'scratch'] as const) results.push(finetune(o, init, share, mae.run));
  const rows = o.labelShares.map((share) => {
    const m = results.find((r) => r.init === 'mae' && r.labels === share)!;
    const s = results.find((r) => r.init === 'scratch' && r.labels === share)!;
    return [
      `${Math.round(share * 100)} %`,
      String(m.trainImages),
      f(100 * s.top1),
      f(100 * m.top1),
      f(100 * (m.top1 - s.top1)),
      f(100 * s.meanClassAccuracy),
      f(100 * m.meanClassAccuracy),
    ];
  });
  console.log(
    `\ncub100 test top-1, ${o.model} at ${imageSize} px, ${o.finetuneEpochs} fine-tuning epochs; MAE ${mae.epochs} epochs took ${f(mae.seconds / 3600, 2)} h, ${f(mae.quietSeconds / 3600, 2)} h at the 10th-percentile epoch (${f((mae.quietSeconds * cpus().length) / 3600, 2)} CPU-hours)`,
  );
  console.log(table(['labels', 'images', 'scratch %', 'MAE %', 'gain (goal ≥ 10)', 'scratch mean class %', 'MAE mean class %'], rows));
  report.accuracy = { options: o, pretrain: mae, results };
}

const date = new Date().toISOString().slice(0, 10);
const out = values.out ?? `bench/results/pretrain-${date}.json`;
writeFileSync(
  out,
  JSON.stringify(
    { date: new Date().toISOString(), machine: { cpu: cpuModel(), cores: cpus().length, loadAverage: { start: loadStart, end: loadavg()[0]! } }, ...report },
    null,
    2,
  ) + '\n',
);
console.log(`\nresults in ${out}`);
