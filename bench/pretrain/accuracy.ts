/**
 * bench/pretrain's accuracy part (issue 34): MAE pretraining of a small ViT on the union of the
 * developers' unlabelled photos (cub100's training split and cars33's training images, labels
 * ignored), then fine-tuning on cub100 with 10 %, 30 % and 100 % of its training labels, against
 * the same ViT from random initialisation with the same fine-tuning recipe and epochs. One
 * validation set (finegrain's 10 % split of cub100's training images, seed 0) serves every arm;
 * the test split is read once per arm by its final evaluation. Every step is kept in --work and
 * skipped when done, and an interrupted pretraining or fine-tune resumes, so a killed run
 * continues where it stopped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { openLabeled, openTrainingData } from '../../src/train/datasets.js';
import { Rng } from '../../src/data/random.js';

const root = join(import.meta.dirname, '../../..');
const cli = join(root, 'build/src/cli/main.js');

function finegrain(args: string[]): void {
  console.log(`[pretrain] finegrain ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  if (r.status !== 0) throw new Error(`finegrain ${args[0]} failed (exit ${r.status ?? r.signal})`);
}

/** One fine-tuning arm's result. */
export interface FinetuneResult {
  init: 'mae' | 'scratch';
  labels: number;
  trainImages: number;
  top1: number;
  top5: number;
  meanClassAccuracy: number;
  seconds: number;
}

/** Options of the accuracy part. */
export interface AccuracyOptions {
  shared: string;
  work: string;
  model: string;
  imageSize: number;
  pretrainEpochs: number;
  batchSize: number;
  finetuneEpochs: number;
  labelShares: number[];
  finetuneFlags: string[];
  /** Flags for the MAE arm only. */
  maeFlags: string[];
}

/** The unlabelled union as a folder of symbolic links (labels gone with the folder names). */
export function unlabelledUnion(shared: string, work: string): string {
  const dir = join(work, 'unlabelled');
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(dir, { recursive: true });
  const cub = openLabeled(join(shared, 'data/cub100'), { split: 'train' });
  const cars = openLabeled(join(shared, 'data/cars33/train'));
  let i = 0;
  for (const s of [...cub.samples, ...cars.samples]) {
    const link = join(dir, `${String(i++).padStart(5, '0')}${extname(s.path).toLowerCase()}`);
    if (!existsSync(link)) symlinkSync(s.path, link);
  }
  writeFileSync(join(dir, '.complete'), `${i} images: cub100 train split ${cub.samples.length}, cars33 train ${cars.samples.length}\n`);
  return dir;
}

/** What the MAE run cost, from its own per-epoch records (so stops and resumes count right). */
export interface PretrainCost {
  run: string;
  /** Wall seconds of every epoch, summed (epochs that shared the machine included). */
  seconds: number;
  /** The 10th-percentile epoch's seconds × the epochs: what a machine left to the run takes (most epochs may have shared it). */
  quietSeconds: number;
  epochs: number;
}

function pretrainCost(run: string): PretrainCost {
  const epochs = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { seconds: number }).seconds);
  const sorted = [...epochs].sort((a, b) => a - b);
  const quick = sorted[Math.floor(sorted.length / 10)] ?? 0;
  return { run, seconds: epochs.reduce((a, b) => a + b, 0), quietSeconds: quick * epochs.length, epochs: epochs.length };
}

/** The MAE run (resumed when a previous invocation was stopped). */
export function maeRun(o: AccuracyOptions, data: string): PretrainCost {
  const run = join(o.work, 'mae');
  const done = join(o.work, 'mae.json');
  if (!existsSync(done)) {
    if (existsSync(join(run, 'config.json'))) finegrain(['pretrain', '--resume', run]);
    else {
      // prettier-ignore
      finegrain(['pretrain', '--method', 'mae', '--data', data, '--model', o.model, '--image-size', String(o.imageSize), '--epochs', String(o.pretrainEpochs),
        '--batch-size', String(o.batchSize), '--out', o.work, '--name', 'mae']);
    }
    writeFileSync(done, JSON.stringify({ run }) + '\n');
  }
  return pretrainCost(run);
}

/** path,label CSVs: the shared validation split, and `share` of the rest per class (seeded, at least one a class). */
function labelLists(o: AccuracyOptions, share: number): { train: string; val: string; images: number } {
  const data = openTrainingData({ data: join(o.shared, 'data/cub100'), valFraction: 0.1, seed: 0 });
  const val = join(o.work, 'val.csv');
  const name = (c: number) => data.classes[c]!.replace(/,/g, ' ');
  writeFileSync(val, 'path,label\n' + data.val.samples.map((s) => `${s.path},${name(s.label)}`).join('\n') + '\n');
  const byClass = new Map<number, string[]>();
  for (const s of data.train.samples) byClass.set(s.label, [...(byClass.get(s.label) ?? []), s.path]);
  const rows: string[] = [];
  for (const [label, paths] of byClass) {
    const rng = new Rng(0, 'labels', label);
    const shuffled = [...paths];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const p of shuffled.slice(0, Math.max(1, Math.round(share * paths.length)))) rows.push(`${p},${name(label)}`);
  }
  const train = join(o.work, `train-${Math.round(share * 100)}.csv`);
  writeFileSync(train, 'path,label\n' + rows.join('\n') + '\n');
  return { train, val, images: rows.length };
}

/** One fine-tune (resumed when stopped), then its test score. */
export function finetune(o: AccuracyOptions, init: 'mae' | 'scratch', share: number, maeDir: string): FinetuneResult {
  const name = `${init}-${Math.round(share * 100)}`;
  const done = join(o.work, `${name}.json`);
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as FinetuneResult;
  const lists = labelLists(o, share);
  const run = join(o.work, 'runs', name);
  const started = Date.now();
  if (existsSync(join(run, 'config.json'))) finegrain(['train', '--resume', run]);
  else {
    // prettier-ignore
    finegrain(['train', '--data', lists.train, '--val-data', lists.val, '--model', o.model, '--image-size', String(o.imageSize),
      '--epochs', String(o.finetuneEpochs), '--out', join(o.work, 'runs'), '--name', name, '--quiet', '--no-calibrate',
      ...(init === 'mae' ? ['--pretrained', maeDir, ...o.maeFlags] : []), ...o.finetuneFlags]);
  }
  const seconds = (Date.now() - started) / 1000;
  const json = join(o.work, `${name}.test.json`);
  finegrain(['eval', '--checkpoint', join(run, 'checkpoints/best.safetensors'), '--data', join(o.shared, 'data/cub100'), '--split', 'test', '--json', json]);
  const t = JSON.parse(readFileSync(json, 'utf8')) as { top1: number; top5: number; meanClassAccuracy: number };
  const result: FinetuneResult = {
    init,
    labels: share,
    trainImages: lists.images,
    top1: t.top1,
    top5: t.top5,
    meanClassAccuracy: t.meanClassAccuracy,
    seconds,
  };
  writeFileSync(done, JSON.stringify(result, null, 2) + '\n');
  return result;
}
