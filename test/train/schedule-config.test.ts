import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineWithWarmup } from '../../src/train/schedule.js';
import { parseTrainConfig, configFromFlags, readConfigFile } from '../../src/train/config.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
