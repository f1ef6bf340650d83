/**
 * MAE pretraining as a user runs it: the model learns to reconstruct (a loss an untrained model
 * cannot reach), `finegrain pretrain` writes its run folder (curves, reconstruction pictures,
 * the encoder file that a timm ViT loads), survives SIGKILL mid-epoch and mid-write to end
 * exactly as the uninterrupted run, and refuses bad input clearly (no photos, a model that is
 * not a ViT) while skipping a corrupt photo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadSafetensors, scope, tensor, rand, noGrad } from '../../src/index.js';
import { MaskedAutoencoder } from '../../src/pretrain/mae/masked-autoencoder.js';
import { pretrain } from '../../src/pretrain/mae/pretrain.js';
import { readMaeEncoder } from '../../src/models/vit/mae-encoder.js';
import { AdamW } from '../../src/optim/adamw.js';
import { manualSeed } from '../../src/runtime/settings.js';
import { createModel } from '../../src/models/registry.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { killAt } from '../support/kill-at.js';

const CLI = join(import.meta.dirname, '../../src/cli/main.js');

/** Smooth images: a linear ramp in a random direction between two random colours, [N, 3, S, S]. */
function ramps(n: number, side: number) {
  return scope(() => {
    const coords = tensor(Array.from({ length: side }, (_, i) => i / (side - 1)));
    const y = coords.view(1, 1, side, 1);
    const x = coords.view(1, 1, 1, side);
    const a = rand([n, 1, 1, 1]).mul(2).sub(1);
    const b = rand([n, 1, 1, 1]).mul(2).sub(1);
    const t = y.mul(a).add(x.mul(b));
    const c0 = rand([n, 3, 1, 1]).mul(2).sub(1);
    const c1 = rand([n, 3, 1, 1]).mul(2).sub(1);
    return c0.add(c1.sub(c0).mul(t));
  });
}

test('MAE learns to fill in removed patches: the loss falls far below an untrained model’s and below the best constant guess', (t) => {
  manualSeed(3);
  const model = new MaskedAutoencoder({ model: 'vit_tiny_patch16_224', imageSize: 32, patchSize: 8, decoderDepth: 2, decoderDim: 64 });
  try {
    const lossOn = (seed: number) =>
      noGrad(() =>
        scope(() => {
          manualSeed(seed);
          const x = ramps(64, 32);
          const { loss } = model.forwardLoss(x, { maskRatio: 0.75, normPixLoss: false });
          return { loss: loss.item(), variance: x.var().item() };
        }),
      );
    model.eval();
    const before = lossOn(1000);
    model.train();
    const opt = new AdamW(
      model.parameters().filter((p) => p.requiresGrad),
      { lr: 1e-3, betas: [0.9, 0.95], weightDecay: 0.05 },
    );
    for (let step = 0; step < 100; step++) {
      scope(() => {
        manualSeed(step);
        model.forwardLoss(ramps(16, 32), { maskRatio: 0.75, normPixLoss: false }).loss.backward();
      });
      opt.step();
      opt.zeroGrad();
    }
    model.eval();
    const after = lossOn(1000);
    t.diagnostic(`loss ${before.loss.toFixed(4)} untrained, ${after.loss.toFixed(4)} trained; pixel variance ${after.variance.toFixed(4)}`);
    // The best constant prediction of a pixel costs the pixels' variance.
    assert.ok(after.loss < 0.25 * before.loss, `loss ${after.loss.toFixed(4)} after training vs ${before.loss.toFixed(4)} untrained`);
    assert.ok(after.loss < 0.5 * after.variance, `loss ${after.loss.toFixed(4)} vs pixel variance ${after.variance.toFixed(4)}`);
  } finally {
    model.dispose();
  }
});

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, imagesPerSecond: _i, ...rest } = JSON.parse(l) as Record<string, number>;
      return rest;
    });

test(
  'finegrain pretrain: run folder, encoder for a timm ViT, and a SIGKILL mid-epoch and mid-write resumes to the uninterrupted run',
  { timeout: 600_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-mae-'));
    await writeTinyDataset(join(dir, 'photos'), { classes: 2, perClass: 12, size: 40, seed: 9 });
    // A corrupt photo among them: skipped and reported, never fatal.
    writeFileSync(join(dir, 'photos', 'broken.jpg'), Buffer.from('not a jpeg at all'));
    // prettier-ignore
    const flags = ['--data', join(dir, 'photos'), '--out', join(dir, 'runs'), '--image-size', '32', '--patch-size', '8', '--decoder-depth', '1',
    '--decoder-dim', '64', '--batch-size', '8', '--epochs', '3', '--precision', 'float32', '--workers', '1', '--reconstructions', '2'];
    const straight = await runCli(['pretrain', '--method', 'mae', ...flags, '--name', 'straight']);
    assert.equal(straight.code, 0, straight.stderr);
    const run = join(dir, 'runs', 'straight');
    for (const f of [
      'config.json',
      'metrics.jsonl',
      'curves.png',
      'encoder.safetensors',
      'checkpoints/last.safetensors',
      'reconstructions/epoch-3.png',
      'skipped.json',
    ]) {
      assert.ok(existsSync(join(run, f)), f);
    }
    const picture = await sharp(join(run, 'reconstructions/epoch-3.png')).metadata();
    assert.deepEqual([picture.width, picture.height], [4 * 32, 2 * 32], 'original | masked | reconstruction | pasted, one row per image');
    assert.match(readFileSync(join(run, 'skipped.json'), 'utf8'), /broken\.jpg/);
    assert.equal(metrics(run).length, 3);

    // The encoder file loads, strictly, into the timm ViT of the same size.
    const info = readMaeEncoder(run)!.info;
    assert.deepEqual([info.model, info.imageSize, info.patchSize, info.epochs], ['vit_tiny_patch16_224', 32, 8, 3]);
    const vit = createModel('vit_tiny_patch16_224', { numClasses: 0, imageSize: 32, patchSize: 8 });
    const enc = loadSafetensors(join(run, 'encoder.safetensors'));
    try {
      vit.loadStateDict(enc.tensors, { strict: true });
    } finally {
      for (const t of Object.values(enc.tensors)) t.dispose();
      vit.dispose();
    }

    // 24 photos (one unreadable) in batches of 8 with the last dropped: 2 steps an epoch.
    const killed = join(dir, 'runs', 'killed');
    assert.equal(
      (await killAt(CLI, ['pretrain', '--method', 'mae', ...flags, '--name', 'killed'], 'train-step', 3)).signal,
      'SIGKILL',
      'killed after the first step of epoch 2',
    );
    assert.equal(
      (await killAt(CLI, ['pretrain', '--resume', killed], 'write:last.safetensors', 2)).signal,
      'SIGKILL',
      'killed during the second checkpoint write after resuming',
    );
    const resumed = await runCli(['pretrain', '--resume', killed]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = loadSafetensors(join(run, 'checkpoints/last.safetensors'));
    const b = loadSafetensors(join(killed, 'checkpoints/last.safetensors'));
    try {
      assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
      for (const [k, t] of Object.entries(a.tensors)) assert.ok(t.equal(b.tensors[k]!), `${k} differs after two kills and resumes`);
    } finally {
      for (const t of [...Object.values(a.tensors), ...Object.values(b.tensors)]) t.dispose();
    }
    assert.deepEqual(metrics(killed), metrics(run));
  },
);

test('bad input: no photos, a model that is not a ViT, --resume with other options — each a clear error, no run folder left behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-mae-bad-'));
  mkdirSync(join(dir, 'empty'));
  await assert.rejects(pretrain({ data: join(dir, 'empty'), out: join(dir, 'runs'), name: 'a' }), /no images found/);
  assert.ok(!existsSync(join(dir, 'runs', 'a', 'config.json')), 'the unstarted run folder is removed');
  await assert.rejects(pretrain({ data: join(dir, 'empty'), model: 'resnet50' }), /timm-named ViT/);
  await assert.rejects(pretrain({ data: join(dir, 'empty'), imageSize: 100 }), /multiple of the patch size 16/);
  await assert.rejects(pretrain({ data: join(dir, 'empty'), maskRatio: 1 }), /maskRatio/);
  const r = await runCli(['pretrain', '--resume', join(dir, 'runs', 'x'), '--epochs', '3']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--resume continues a run with its own config\.json/);
  const m = await runCli(['pretrain', '--method', 'simclr', '--data', dir]);
  assert.match(m.stderr, /finegrain pretrains with mae/);
  const u = await runCli(['pretrain', '--method', 'mae', '--data', dir, '--mask-rate', '0.5']);
  assert.match(u.stderr, /unknown option --mask-rate/);
});
