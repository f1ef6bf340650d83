import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineWithWarmup } from '../../src/train/schedule.js';
import { parseTrainConfig, configFromFlags, readConfigFile } from '../../src/train/config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('cosine schedule warms up linearly, peaks, and decays to the floor', () => {
  const lr = cosineWithWarmup({ lr: 0.1, totalSteps: 110, warmupSteps: 10, minLrRatio: 0 });
  assert.ok(Math.abs(lr(0) - 0.01) < 1e-12);
  assert.ok(Math.abs(lr(9) - 0.1) < 1e-12);
  assert.ok(Math.abs(lr(10) - 0.1) < 1e-12);
  assert.ok(Math.abs(lr(60) - 0.05) < 1e-12);
  assert.ok(lr(109) < 1e-4);
  for (let s = 10; s < 109; s++) assert.ok(lr(s + 1) <= lr(s));
});

test('config: flags use the config keys in kebab case, and bad values are named', () => {
  const c = parseTrainConfig(configFromFlags(['--data', 'd', '--image-size', '448', '--optimizer', 'adamw', '--channels-last']));
  assert.equal(c.imageSize, 448);
  assert.equal(c.optimizer, 'adamw');
  assert.equal(c.channelsLast, true);
  assert.equal(c.epochs, 10); // default
  assert.throws(() => parseTrainConfig({ data: 'd', lr: -1 }), /lr:/);
  assert.throws(() => parseTrainConfig({ data: 'd', optimizer: 'lion' }), /optimizer:/);
  assert.throws(() => parseTrainConfig({ data: 'd', imageSize: 12.5 }), /imageSize:/);
  assert.throws(() => parseTrainConfig({ data: 'd', colour: 1 }), /Unrecognized key/);
  assert.throws(() => parseTrainConfig({}), /data:/);
  assert.throws(() => configFromFlags(['--nope', '1']), /unknown option --nope/);
  assert.throws(() => parseTrainConfig({ data: 'd', finalEpochs: 2 }), /finalImageSize/);
});

test('config files: YAML and JSON, with clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-config-'));
  writeFileSync(join(dir, 'a.yaml'), 'data: birds\nmodel: resnet50\nepochs: 3\n');
  assert.deepEqual(readConfigFile(join(dir, 'a.yaml')), { data: 'birds', model: 'resnet50', epochs: 3 });
  writeFileSync(join(dir, 'b.json'), '{"data": "x",');
  assert.throws(() => readConfigFile(join(dir, 'b.json')), /not valid JSON/);
  writeFileSync(join(dir, 'c.yaml'), '- a\n- b\n');
  assert.throws(() => readConfigFile(join(dir, 'c.yaml')), /mapping/);
  assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /cannot read/);
});

test('--crop-scale sets the smallest RandomResizedCrop area of training crops', async () => {
  const { trainLoader } = await import('../../src/train/batches.js');
  const { writeTinyDataset } = await import('./tiny-dataset.js');
  const { imageFolder } = await import('../../src/data/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'fg-crop-scale-'));
  await writeTinyDataset(dir, { classes: 2, perClass: 4, size: 40 });
  assert.equal(parseTrainConfig({ data: 'd' }).cropScale, 0.08);
  assert.throws(() => parseTrainConfig({ data: 'd', cropScale: 0 }), /cropScale:/);
  // At scale 1 (and square images, ratio 1 within range) every crop is the whole image, so the
  // batch is the image resized; at 0.08 most crops are a part of it.
  const sums = async (cropScale: number, seed = 0) => {
    const c = parseTrainConfig({ data: dir, cropScale, augment: 'none', batchSize: 8, seed });
    const loader = trainLoader(imageFolder(dir), c, 16, { mean: [0, 0, 0], std: [1, 1, 1] });
    const out: number[] = [];
    for await (const b of loader.epoch(0)) {
      out.push(...Array.from({ length: b.images.size(0) }, (_, i) => b.images.select(0, i).mean().item()));
      b.dispose();
    }
    return out;
  };
  const whole = await sums(1);
  const again = await sums(1, 1); // another seed: other draws
  assert.deepEqual(whole.map((v) => v.toFixed(4)).sort(), again.map((v) => v.toFixed(4)).sort(), 'scale 1 crops do not depend on the draw');
  const parts = await sums(0.08);
  assert.notDeepEqual(parts.map((v) => v.toFixed(4)).sort(), whole.map((v) => v.toFixed(4)).sort());
  rmSync(dir, { recursive: true, force: true });
});
