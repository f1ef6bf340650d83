// freezeUntil keeps the early layers exactly as they started; headLr gives the classifier its
// own learning rate. Both checked on real training runs against the initial weights (the
// trainer seeds before building the model, so the same seed rebuilds them here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, manualSeed, type Tensor } from '../../src/index.js';
import { train } from '../../src/train/trainer.js';
import { freezeUntil } from '../../src/train/build-model.js';
import { bodyFactor } from '../../src/train/step.js';
import { loadCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { writeTinyDataset } from './tiny-dataset.js';

const BASE = {
  model: 'regnetx_002',
  imageSize: 32,
  batchSize: 8,
  workers: 2,
  epochs: 1,
  lr: 0.05,
  warmupEpochs: 0,
  augment: 'none',
  precision: 'float32',
  valFraction: 0.25,
  quiet: true,
  dropRate: 0,
} as const;

function initialParameters(): Map<string, Float32Array> {
  manualSeed(0);
  const m = createModel('regnetx_002', { numClasses: 3, dropRate: 0 });
  const out = new Map(m.namedParameters().map(([n, p]) => [n, p.toTypedArray() as Float32Array]));
  m.dispose();
  return out;
}

function maxChange(a: Float32Array, b: Tensor): number {
  const v = b.toTypedArray() as Float32Array;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - v[i]!));
  return m;
}

async function trainedParameters(extra: Record<string, unknown>): Promise<{ params: Record<string, Tensor>; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-freeze-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12 });
  const r = await train({ ...BASE, ...extra, data: join(dir, 'data'), out: join(dir, 'runs'), name: 'a' }, { log: () => {} });
  const ckpt = loadCheckpoint(join(r.runDir, 'checkpoints/last.safetensors'));
  return { params: ckpt.model, dispose: () => ckpt.dispose() };
}

test('freezeUntil: parameters before the module stay exactly as initialised, the rest train', async () => {
  const init = initialParameters();
  const { params, dispose } = await trainedParameters({ freezeUntil: 's3' });
  try {
    for (const [name, before] of init) {
      const change = maxChange(before, params[name]!);
      if (name.startsWith('stem.') || name.startsWith('s1.') || name.startsWith('s2.')) assert.equal(change, 0, `${name} is frozen`);
      else if (name.endsWith('.weight') && !name.includes('bn')) assert.ok(change > 0, `${name} trains`);
    }
  } finally {
    dispose();
  }
});

test('freezeUntil: an unknown module name is a usage error listing the top-level modules', () => {
  const m = createModel('resnet18', { numClasses: 3 });
  try {
    assert.throws(
      () => freezeUntil(m, 'layer9'),
      (e: Error) => e.name === 'UsageError' && /layer9/.test(e.message) && /layer1, layer2/.test(e.message),
    );
    assert.equal(
      freezeUntil(m, 'layer2'),
      m.namedParameters().findIndex(([n]) => n.startsWith('layer2.')),
    );
    assert.equal(
      m
        .getSubmodule('layer1')
        .parameters()
        .every((p) => !p.requiresGrad),
      true,
    );
    assert.equal(
      m
        .getSubmodule('layer2')
        .parameters()
        .every((p) => p.requiresGrad),
      true,
    );
  } finally {
    m.dispose();
  }
});

test('headLr: the classifier learns at its own rate while the body barely moves', async () => {
  const init = initialParameters();
  const { params, dispose } = await trainedParameters({ lr: 1e-9, headLr: 0.1 });
  try {
    let body = 0;
    for (const [name, before] of init) if (!name.startsWith('head.fc.')) body = Math.max(body, maxChange(before, params[name]!));
    const head = maxChange(init.get('head.fc.weight')!, params['head.fc.weight']!);
    assert.ok(body < 1e-5, `body moved ${body}`);
    assert.ok(head > 1e-3, `head moved ${head}`);
  } finally {
    dispose();
  }
});

test('headOnlyEpochs: the body stays exactly as initialised while the head learns, then ramps up', async () => {
  const init = initialParameters();
  const { params, dispose } = await trainedParameters({ headOnlyEpochs: 1, weightDecay: 0.05 });
  try {
    for (const [name, before] of init) if (!name.startsWith('head.fc.')) assert.equal(maxChange(before, params[name]!), 0, `${name} waits for the head`);
    assert.ok(maxChange(init.get('head.fc.weight')!, params['head.fc.weight']!) > 1e-3, 'the head learns');
  } finally {
    dispose();
  }
  const later = await trainedParameters({ headOnlyEpochs: 1, epochs: 2 });
  try {
    assert.ok(maxChange(init.get('stem.conv.weight')!, later.params['stem.conv.weight']!) > 0, 'the body trains after the head-only epoch');
  } finally {
    later.dispose();
  }
  assert.equal(bodyFactor({ headOnlySteps: 10, bodyRampSteps: 4 }, 9), 0);
  assert.equal(bodyFactor({ headOnlySteps: 10, bodyRampSteps: 4 }, 10), 0.25);
  assert.equal(bodyFactor({ headOnlySteps: 10, bodyRampSteps: 4 }, 13), 1);
  assert.equal(bodyFactor({ headOnlySteps: 0 }, 0), 1);
});
