import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { loadSafetensors, liveTensors } from '../../src/index.js';
import { writeTinyDataset } from './tiny-dataset.js';
import { killAt } from '../support/kill-at.js';
import { Rng } from '../../src/data/random.js';

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

function readMetrics(file: string): Record<string, number>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

test('a run SIGKILLed mid-epoch, during the crop refresh and during a checkpoint write resumes to exactly the uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-resume-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12, seed: 5 });
  // prettier-ignore
  const flags = [
    '--data', join(dir, 'data'), '--out', join(dir, 'runs'), '--model', BASE.model, '--image-size', '32', '--batch-size', '8',
    '--epochs', '4', '--augment', 'trivialaugment', '--precision', 'float32', '--val-fraction', '0.25', '--lr', '0.05', '--quiet',
    '--crop', 'attention', '--drop-rate', '0.2', '--ema', '0.9', '--crop-dump', '0',
  ];
  assert.equal(await runCli(['train', ...flags, '--name', 'straight']), 0);
  const stepsPerEpoch = Math.floor(27 / 8); // 36 images, 25% held out, batches of 8 with the last one dropped

  // Random moments, seeded so a failure can be replayed: a step inside epoch 2, the crop
  // refresh after epoch 2 or 3, and the checkpoint write at the end of epoch 3 or 4.
  const rng = new Rng(Number(process.env.RESUME_TEST_SEED ?? Date.now() % 100_000), 'resume-test');
  const killedRun = join(dir, 'runs/killed');
  const resume = ['train', '--resume', killedRun];
  const kills: { args: string[]; point: string; nth: number; what: string }[] = [];
  const step = 1 + rng.int(stepsPerEpoch - 1); // 1 … stepsPerEpoch-1: strictly inside the epoch
  kills.push({ args: ['train', ...flags, '--name', 'killed'], point: 'train-step', nth: stepsPerEpoch + step, what: `after step ${step} of epoch 2` });
  // The resumed child restarts at epoch 2 (checkpoint of epoch 1): its first crop refresh follows epoch 2.
  const refresh = rng.int(2); // 0: after epoch 2, 1: after epoch 3
  kills.push({ args: resume, point: 'crop-refresh', nth: 1 + refresh * 2, what: `during the crop refresh after epoch ${2 + refresh}` });
  // The next child restarts after the last checkpoint: epoch 2 (refresh 0) or 3 (refresh 1) is redone.
  const write = rng.int(2);
  kills.push({ args: resume, point: 'write:last.safetensors', nth: 1 + write, what: `during checkpoint write ${1 + write} after resuming` });
  for (const k of kills) {
    const r = await killAt(CLI, k.args, k.point, k.nth);
    assert.equal(r.signal, 'SIGKILL', `the kill ${k.what} landed (exit code ${r.code}, trace ${r.trace.join(', ')})`);
    assert.equal(r.trace[r.trace.length - 1], k.point, `the child was stopped at ${k.point}, not after it`);
  }
  assert.equal(await runCli(resume), 0);

  const a = loadSafetensors(join(dir, 'runs/straight/checkpoints/last.safetensors'));
  const b = loadSafetensors(join(killedRun, 'checkpoints/last.safetensors'));
  try {
    assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
    for (const [k, t] of Object.entries(a.tensors))
      assert.ok(t.equal(b.tensors[k]!), `${k} differs after three kills and resumes (${kills.map((k) => k.what).join('; ')})`);
    const fields = (r: Record<string, number>) => [r.epoch, r.trainLoss, r.trainAcc, r.valLoss, r.valAcc, r.lr];
    assert.deepEqual(readMetrics(join(killedRun, 'metrics.jsonl')).map(fields), readMetrics(join(dir, 'runs/straight/metrics.jsonl')).map(fields));
  } finally {
    for (const t of [...Object.values(a.tensors), ...Object.values(b.tensors)]) t.dispose();
  }
});
