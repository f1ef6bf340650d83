// A checkpoint trained with non-ImageNet statistics predicts with its own: the run stores
// its mean/std in the checkpoint's preprocessing config and every loader reads it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageFolder } from '../../src/data/datasets/image-folder.js';
import { predictDataset } from '../../src/evaluation/predict-dataset.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { imagenetPreprocess } from '../../src/models/preprocess-config.js';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

test("a checkpoint trained with its own mean and std predicts with them, not with ImageNet's", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-norm-'));
  try {
    await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 8 });
    // prettier-ignore
    const r = await train({ data: join(dir, 'data'), out: join(dir, 'runs'), name: 'n', model: 'regnetx_002', imageSize: 32, batchSize: 8, epochs: 1,
      augment: 'none', precision: 'float32', quiet: true, mean: [0.2, 0.3, 0.4], std: [0.5, 0.6, 0.7] }, { log: () => {} });
    const loaded = loadModelFromCheckpoint(join(r.runDir, 'checkpoints/last.safetensors'));
    try {
      assert.deepEqual(loaded.preprocess, { inputSize: 32, interpolation: 'bilinear', cropFraction: 1, mean: [0.2, 0.3, 0.4], std: [0.5, 0.6, 0.7] });
      const ds = imageFolder(join(dir, 'data'));
      const own = await predictDataset({ model: loaded.model, preprocess: loaded.preprocess }, ds, { precision: 'float32' });
      const same = await predictDataset({ model: loaded.model, preprocess: { ...loaded.preprocess } }, ds, { precision: 'float32' });
      const imagenet = await predictDataset({ model: loaded.model, preprocess: imagenetPreprocess(32) }, ds, { precision: 'float32' });
      try {
        assert.ok(own.probs.equal(same.probs), 'the same config gives the same predictions');
        const gap = own.probs.sub(imagenet.probs).abs().max().item();
        assert.ok(gap > 1e-3, `ImageNet statistics would change the predictions (max gap ${gap})`);
      } finally {
        own.dispose();
        same.dispose();
        imagenet.dispose();
      }
    } finally {
      loaded.model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
