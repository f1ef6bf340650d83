import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { loadSafetensors, liveTensors } from '../../src/index.js';
import { writeTinyDataset } from './tiny-dataset.js';

const CLI = join(process.cwd(), 'build/src/cli/main.js');
const BASE = {
  model: 'regnetx_002',
  imageSize: 32,
  batchSize: 8,
  workers: 2,
  epochs: 3,
  lr: 0.05,
  warmupEpochs: 0.5,
  augment: 'none',
  precision: 'float32',
  valFraction: 0.25,
  quiet: true,
  dropRate: 0,
} as const;

test('a tiny run trains to better than chance and writes its run folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-train-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 16 });
  const before = liveTensors();
  const result = await train({ ...BASE, data: join(dir, 'data'), out: join(dir, 'runs'), name: 'a', epochs: 4 }, { log: () => {} });
  assert.equal(liveTensors(), before, 'training leaks no tensors');
  assert.ok(result.bestValAccuracy > 0.6, `validation accuracy ${result.bestValAccuracy} should beat chance (0.33) clearly`);
  for (const f of [
    'config.json',
    'classes.json',
    'metrics.jsonl',
    'curves.png',
    'checkpoints/last.safetensors',
    'checkpoints/best.safetensors',
    'checkpoints/last.json',
  ]) {
    assert.ok(existsSync(join(result.runDir, f)), `${f} exists`);
  }
  const metrics = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(metrics.length, 4);
  assert.deepEqual(JSON.parse(readFileSync(join(result.runDir, 'classes.json'), 'utf8')), ['class_0', 'class_1', 'class_2']);
});

function runCli(args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' }).on('exit', (code) => resolve(code)));
}

test('a run killed with SIGKILL resumes and ends exactly where the uninterrupted run does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-resume-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12, seed: 5 });
  const flags = [
    '--data',
    join(dir, 'data'),
    '--out',
    join(dir, 'runs'),
    '--model',
    BASE.model,
    '--image-size',
    '32',
    '--batch-size',
    '8',
    '--epochs',
    '3',
    '--augment',
    'trivialaugment',
    '--precision',
    'float32',
    '--val-fraction',
    '0.25',
    '--lr',
    '0.05',
    '--quiet',
    '--crop',
    'attention',
    '--drop-rate',
    '0.2',
    '--ema',
    '0.9',
  ];
  assert.equal(await runCli(['train', ...flags, '--name', 'straight']), 0);

  // The same run, killed once its first epoch's checkpoint is on disk.
  const child = spawn(process.execPath, [CLI, 'train', ...flags, '--name', 'killed'], { stdio: 'ignore' });
  const metrics = join(dir, 'runs/killed/metrics.jsonl');
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the run did not reach its first checkpoint')), 120_000);
    const timer = setInterval(() => {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').trim().split('\n').length >= 1) {
        clearInterval(timer);
        clearTimeout(deadline);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve();
    });
  });
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.on('exit', r));
  assert.equal(await runCli(['train', '--resume', join(dir, 'runs/killed')]), 0);

  const a = loadSafetensors(join(dir, 'runs/straight/checkpoints/last.safetensors'));
  const b = loadSafetensors(join(dir, 'runs/killed/checkpoints/last.safetensors'));
  try {
    assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
    for (const [k, t] of Object.entries(a.tensors)) assert.ok(t.equal(b.tensors[k]!), `${k} differs after resume`);
    const ma = readFileSync(join(dir, 'runs/straight/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mb = readFileSync(join(dir, 'runs/killed/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      mb.map((r) => [r.epoch, r.trainLoss, r.valAcc]),
      ma.map((r) => [r.epoch, r.trainLoss, r.valAcc]),
    );
  } finally {
    for (const t of [...Object.values(a.tensors), ...Object.values(b.tensors)]) t.dispose();
  }
});
