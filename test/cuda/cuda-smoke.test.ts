// CUDA-marked tests (run by scripts/device-check.sh; skipped without a GPU): tensor operators
// on 'cuda' against the CPU, and a float16 training run (autocast with GradScaler loss scaling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cuda, loadSafetensors, manualSeed, randn, scope, train } from '../../src/index.js';
import { loadCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { assertClose } from '../support/assert-close.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

const skip = cuda.isAvailable() ? false : 'no CUDA device (this addon or machine has none)';

test('matmul and abs on cuda agree with the CPU', { skip }, () => {
  scope(() => {
    manualSeed(0);
    const a = randn([64, 128]);
    const b = randn([128, 32]);
    const onGpu = a
      .to({ device: 'cuda' })
      .matmul(b.to({ device: 'cuda' }))
      .abs();
    assert.equal(onGpu.device, 'cuda:0');
    assertClose(onGpu.to({ device: 'cpu' }), a.matmul(b).abs(), { atol: 1e-4, rtol: 1e-4 });
  });
});

test('a float16 training run on cuda (autocast + GradScaler) trains with finite losses', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cuda-'));
  try {
    await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 16 });
    const result = await train({
      data: join(dir, 'data'),
      out: join(dir, 'runs'),
      model: 'resnet18',
      imageSize: 64,
      batchSize: 8,
      epochs: 2,
      device: 'cuda',
      precision: 'float16',
      augment: 'none',
      valFraction: 0.25,
      quiet: true,
    });
    const metrics = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(metrics.length, 2);
    for (const m of metrics) assert.ok(Number.isFinite(m.trainLoss), `train loss ${m.trainLoss}`);
    assert.ok(existsSync(join(result.runDir, 'checkpoints/last.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a float16 run stopped after epoch 1 and resumed ends as the uninterrupted one (the loss scale is in the checkpoint)',
  { skip, timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-cuda-resume-'));
    try {
      await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 16 });
      const config = {
        data: join(dir, 'data'),
        out: join(dir, 'runs'),
        model: 'resnet18',
        imageSize: 64,
        batchSize: 8,
        epochs: 3,
        device: 'cuda',
        precision: 'float16',
        augment: 'none',
        valFraction: 0.25,
        quiet: true,
      } as const;
      const straight = await train({ ...config, name: 'straight' });
      const stopped = await train({ ...config, name: 'stopped' }, { stopAfterEpochs: 1 });
      const saved = loadCheckpoint(join(stopped.runDir, 'checkpoints/last.safetensors'));
      try {
        const scaler = saved.meta.gradScaler as { scale: number; growthTracker: number } | undefined;
        assert.ok(scaler && Number.isFinite(scaler.scale) && scaler.scale > 0, `no loss scale in the checkpoint: ${JSON.stringify(scaler)}`);
      } finally {
        saved.dispose();
      }
      await train(config, { resume: stopped.runDir });
      const a = loadSafetensors(join(straight.runDir, 'checkpoints/last.safetensors'));
      const b = loadSafetensors(join(stopped.runDir, 'checkpoints/last.safetensors'));
      try {
        // cuDNN's backward kernels are not bitwise deterministic: equal within float16's
        // resolution; a lost loss scale skips or rescales different steps and moves far more.
        for (const [k, t] of Object.entries(a.tensors)) {
          const gap = scope(() => t.double().sub(b.tensors[k]!.double()).abs().max().item() / (t.double().abs().max().item() + 1e-6));
          assert.ok(gap <= 1e-3, `${k} differs after the float16 resume (relative ${gap})`);
        }
      } finally {
        for (const t of [...Object.values(a.tensors), ...Object.values(b.tensors)]) t.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
