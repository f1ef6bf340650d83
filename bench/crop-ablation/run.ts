/**
 * Crop ablation on synthetic data with scattered discriminative regions (issue 5): the same
 * training budget with (a) plain RandomResizedCrop, (b) the SCDA largest-component crop, and
 * (c) the seed's attention-region random crop, each evaluated on a held-out test split.
 *
 *   node scripts/run-bench.mjs crop-ablation [--epochs 12] [--classes 6] [--per-class 200] [--size 112] [--scatter 0.5]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { csvDataset } from '../../src/data/datasets/csv.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { classificationReport } from '../../src/evaluation/metrics.js';
import { predictDataset } from '../../src/evaluation/predict-dataset.js';
import { useAllCores } from '../../src/runtime/settings.js';
import { train } from '../../src/train/trainer.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '12' },
    classes: { type: 'string', default: '6' },
    'per-class': { type: 'string', default: '200' },
    test: { type: 'string', default: '40' },
    size: { type: 'string', default: '112' },
    scatter: { type: 'string', default: '0.5' },
    model: { type: 'string', default: 'resnet18' },
    out: { type: 'string', default: 'runs/crop-ablation' },
  },
});
const n = (k: keyof typeof values) => Number(values[k]);
const out = resolve(values.out!);
useAllCores();
mkdirSync(out, { recursive: true });
const data = join(out, 'synth');
await generateSynthDataset({
  out: data,
  classes: n('classes'),
  perClass: n('per-class') + n('test'),
  size: n('size'),
  seed: 0,
  markSize: 0.08,
  scatter: n('scatter'),
});
const rows = readFileSync(join(data, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
const index = (row: string) => Number(/_(\d+)\.\w+,/.exec(row)![1]);
writeFileSync(join(data, 'train.csv'), 'path,label\n' + rows.filter((r) => index(r) < n('per-class')).join('\n') + '\n');
writeFileSync(join(data, 'test.csv'), 'path,label\n' + rows.filter((r) => index(r) >= n('per-class')).join('\n') + '\n');

const results: { crop: string; valAccuracy: number; testAccuracy: number; minutes: number }[] = [];
for (const crop of ['random', 'scda', 'attention'] as const) {
  // An interrupted benchmark resumes its runs (a finished one resumes to its end at once).
  const resume = existsSync(join(out, crop, 'config.json')) ? join(out, crop) : undefined;
  const r = await train(
    {
      data: join(data, 'train.csv'),
      out,
      name: crop,
      model: values.model,
      imageSize: n('size'),
      epochs: n('epochs'),
      batchSize: 32,
      optimizer: 'adamw',
      lr: 0.002,
      weightDecay: 0.05,
      augment: 'autoaugment',
      crop,
      cropSize: 0.7,
      ema: 0.99,
      seed: 0,
      quiet: true,
    },
    { log: (l) => console.error(`[${crop}] ${l}`), ...(resume ? { resume } : {}) },
  );
  const { model, meta } = loadModelFromCheckpoint(join(r.runDir, 'checkpoints/best.safetensors'));
  const preds = await predictDataset({ model, preprocess: meta.preprocess }, csvDataset(join(data, 'test.csv'), { classes: meta.classes }), { batchSize: 32 });
  const test = classificationReport(preds.probs, preds.labels, meta.classes).top1;
  preds.dispose();
  model.dispose();
  results.push({ crop, valAccuracy: r.bestValAccuracy, testAccuracy: test, minutes: r.seconds / 60 });
}
const machine = `${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores`;
console.log(
  `crop ablation — ${values.model}, ${n('classes')} synthetic classes (scatter ${n('scatter')}), ${n('per-class')} train / ${n('test')} test per class, ${n('size')} px, ${n('epochs')} epochs; ${machine}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log('crop        val top-1   test top-1   minutes');
for (const r of results)
  console.log(
    `${r.crop.padEnd(10)}  ${(100 * r.valAccuracy).toFixed(1).padStart(8)}%  ${(100 * r.testAccuracy).toFixed(1).padStart(9)}%  ${r.minutes.toFixed(1).padStart(7)}`,
  );
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  `bench/results/crop-ablation-${new Date().toISOString().slice(0, 10)}.json`,
  JSON.stringify({ machine, options: values, results }, null, 2) + '\n',
);
