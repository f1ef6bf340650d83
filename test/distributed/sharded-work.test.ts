// A data-parallel run splits its per-image work between ranks — validation and the
// attention-crop refresh — and gathers the results. Held (fault point) in epoch 2, its
// checkpoint of epoch 1 must hold exactly the boxes and the validation accuracy one process
// computes from that checkpoint's model over the whole set: this fails if a rank judged its
// share with its own BatchNorm statistics, or seeded a box by its index within the share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distributed } from '../../src/index.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { predictDataset } from '../../src/evaluation/predict-dataset.js';
import { chooseCropBoxes } from '../../src/train/crop-refresh.js';
import { openTrainingData } from '../../src/train/datasets.js';
import { parseTrainConfig } from '../../src/train/config.js';
import type { RunState } from '../../src/train/run-state.js';
import { scope } from '../../src/tensor/scope.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { freePort } from './workers.js';

const CLI = join(process.cwd(), 'build/src/cli/main.js');
const skip = distributed.distributedBackends().gloo ? false : 'this addon was built without distributed support (libgloo-dev missing)';

test('2 ranks share validation and the crop refresh, and gather what one process computes', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-dp-shard-'));
  const run = join(dir, 'runs/sharded');
  const held = join(dir, 'epoch1.safetensors');
  try {
    await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 14, seed: 7 });
    // 42 images: 31 for training (odd, so the two shares differ in size), 11 for validation.
    const flags = ['--data', join(dir, 'data'), '--out', join(dir, 'runs'), '--name', 'sharded', '--model', 'regnetx_002', '--image-size', '32'];
    flags.push('--batch-size', '4', '--epochs', '3', '--crop', 'attention', '--crop-size', '0.7', '--crop-candidates', '20', '--crop-dump', '0');
    flags.push('--precision', 'float32', '--val-fraction', '0.25', '--lr', '0.05', '--quiet', '--threads', '1', '--nproc-per-node', '2');
    // Gradients in float16 (the CLI's --gradient-compression reaching the reducer): the shards'
    // gathering checked below does not depend on how the weights got where they are.
    flags.push('--gradient-compression', 'fp16');
    // Steps per epoch per rank: 15 or 16 images in batches of 4, the last dropped → 3; the
    // 4th step is in epoch 2, after epoch 1's checkpoint is written.
    const child = spawn(process.execPath, [CLI, 'train', ...flags, '--master-port', String(await freePort())], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1', FINEGRAIN_FAULT_TRACE: '1', FINEGRAIN_FAULT_PAUSE: 'train-step@4:120000' },
    });
    let stderr = '';
    const killAll = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const deadline = setTimeout(killAll, 240_000);
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d;
          // Rank 0's 4th step (rank 1's lines carry a "[rank 1]" prefix).
          if ((stderr.match(/^fault-point train-step$/gm) ?? []).length >= 4) resolve();
        });
        void closed.then(() => reject(new Error(`the run ended before epoch 2:\n${stderr}`)));
      });
      copyFileSync(join(run, 'checkpoints/last.safetensors'), held);
    } finally {
      killAll();
      clearTimeout(deadline);
      await closed;
    }
    assert.match(stderr, /data-parallel: rank 0 of 2, \d+ gradient buckets, float16 gradient compression/);

    const config = parseTrainConfig(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
    const data = openTrainingData(config);
    const trained = loadModelFromCheckpoint(held, { ema: 'trained' });
    try {
      const state = trained.meta.run as unknown as RunState;
      assert.equal(state.epoch, 1);
      assert.ok(state.boxes, 'the checkpoint has no crop boxes');
      assert.equal(state.boxes.length, data.train.samples.length);
      const boxes = await chooseCropBoxes(trained.model, data.train, {
        method: 'attention',
        preprocess: trained.preprocess,
        batchSize: 4,
        device: 'cpu',
        precision: 'float32',
        channelsLast: false,
        threshold: config.cropThreshold,
        candidates: config.cropCandidates,
        cropSize: config.cropSize,
        seed: config.seed,
        epoch: 1,
      });
      const round = (b: (typeof boxes)[number]) => b && [b.x, b.y, b.width, b.height].map((v) => Math.round(v * 1e6) / 1e6);
      assert.deepEqual(state.boxes.map(round), boxes.map(round));
    } finally {
      trained.model.dispose();
    }

    // Validation: epoch 1's accuracy in the metrics is one process's over all 11 images.
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch: number; valAcc: number; valLoss: number });
    const evaluated = loadModelFromCheckpoint(held);
    try {
      const preds = await predictDataset({ model: evaluated.model, preprocess: evaluated.preprocess }, data.val, { precision: 'float32', batchSize: 4 });
      try {
        const acc = scope(() => preds.probs.argmax(1).eq(preds.labels).float().mean().item());
        const loss = scope(() => preds.probs.gather(1, preds.labels.unsqueeze(1)).log().neg().mean().item());
        assert.equal(preds.indices.length, data.val.samples.length);
        const epoch1 = metrics.find((m) => m.epoch === 1)!;
        assert.ok(Math.abs(epoch1.valAcc - acc) < 1e-6, `valAcc ${epoch1.valAcc} vs one process ${acc}`);
        // The loss is continuous: a share judged with another rank's BatchNorm statistics moves it.
        assert.ok(Math.abs(epoch1.valLoss - loss) < 1e-5 * Math.max(1, loss), `valLoss ${epoch1.valLoss} vs one process ${loss}`);
      } finally {
        preds.dispose();
      }
    } finally {
      evaluated.model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    assert.ok(!existsSync(dir));
  }
});
