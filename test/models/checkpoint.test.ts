// Checkpoint metadata is validated when the file is opened: every field wrong in type, range
// or presence fails at loadCheckpoint with a CheckpointError naming the field, and the process
// goes on. A checkpoint written before the preprocessing config existed gets one derived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, liveTensors, loadSafetensors, saveSafetensors } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { CheckpointError, type CheckpointMeta } from '../../src/models/checkpoint/meta.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { isUsageError } from '../../src/usage-error.js';

const META: CheckpointMeta = {
  model: 'regnetx_002',
  modelOptions: { numClasses: 3, dropRate: 0.1 },
  classes: ['a', 'b', 'c'],
  imageSize: 64,
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  preprocess: { inputSize: 64, interpolation: 'bilinear', cropFraction: 1, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  epoch: 2,
  step: 10,
};

/** Writes a valid checkpoint, then a copy whose metadata `edit` changed; returns the copy's path. */
function withMeta(dir: string, name: string, edit: (meta: Record<string, unknown>) => void): string {
  const good = join(dir, 'good.safetensors');
  const { tensors, metadata } = loadSafetensors(good);
  try {
    const parsed = JSON.parse(metadata.finegrain!);
    edit(parsed.meta);
    const path = join(dir, `${name}.safetensors`);
    saveSafetensors(path, tensors, { finegrain: JSON.stringify(parsed) });
    return path;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

test('checkpoint metadata: a valid file opens, a legacy one gets its preprocessing derived, each bad field is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-ckpt-'));
  try {
    const model = createModel('regnetx_002', { numClasses: 3 });
    saveCheckpoint(join(dir, 'good.safetensors'), { model, meta: META });
    model.dispose();
    const before = liveTensors();

    const ok = loadCheckpoint(join(dir, 'good.safetensors'));
    assert.deepEqual(ok.meta.preprocess, META.preprocess);
    ok.dispose();

    const legacy = loadCheckpoint(withMeta(dir, 'legacy', (m) => delete m.preprocess));
    assert.deepEqual(legacy.meta.preprocess, { inputSize: 64, interpolation: 'bilinear', cropFraction: 1, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    legacy.dispose();

    const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
      ['format', (m) => (m.format = 'other/1'), /not a finegrain checkpoint/],
      ['model missing', (m) => delete m.model, /metadata, model: /],
      ['model type', (m) => (m.model = 5), /metadata, model: /],
      ['modelOptions missing', (m) => delete m.modelOptions, /metadata, modelOptions: /],
      ['modelOptions type', (m) => (m.modelOptions = 'x'), /metadata, modelOptions: /],
      ['dropRate range', (m) => ((m.modelOptions as Record<string, unknown>).dropRate = 5), /modelOptions\.dropRate: /],
      ['attention value', (m) => ((m.modelOptions as Record<string, unknown>).attention = 'magic'), /modelOptions\.attention: /],
      [
        'numClasses vs classes',
        (m) => ((m.modelOptions as Record<string, unknown>).numClasses = 7),
        /modelOptions\.numClasses: is 7 but the checkpoint lists 3 classes/,
      ],
      ['classes type', (m) => (m.classes = 'nope'), /metadata, classes: /],
      ['classes empty', (m) => (m.classes = []), /metadata, classes: /],
      ['classes element', (m) => (m.classes = ['a', 2, 'c']), /classes\.1: /],
      ['classes duplicate', (m) => (m.classes = ['a', 'a', 'c']), /classes: names a class twice/],
      ['imageSize type', (m) => (m.imageSize = 'big'), /metadata, imageSize: /],
      ['imageSize range', (m) => (m.imageSize = 1e9), /metadata, imageSize: /],
      ['imageSize missing', (m) => delete m.imageSize, /metadata, imageSize: /],
      ['mean length', (m) => (m.mean = [0.5, 0.5]), /metadata, mean: /],
      ['mean element', (m) => (m.mean = ['a', 0, 0]), /mean\.0: /],
      ['std zero', (m) => (m.std = [0, 1, 1]), /std\.0: /],
      ['preprocess cropFraction', (m) => ((m.preprocess as Record<string, unknown>).cropFraction = 2), /preprocess\.cropFraction: /],
      ['preprocess interpolation', (m) => ((m.preprocess as Record<string, unknown>).interpolation = 'lanczos'), /preprocess\.interpolation: /],
      ['epoch negative', (m) => (m.epoch = -1), /metadata, epoch: /],
      ['step fractional', (m) => (m.step = 1.5), /metadata, step: /],
      ['step missing', (m) => delete m.step, /metadata, step: /],
    ];
    for (const [what, edit, message] of cases) {
      const path = withMeta(dir, what.replace(/\W+/g, '-'), edit);
      assert.throws(
        () => loadCheckpoint(path),
        (e: unknown) => {
          assert.ok(e instanceof CheckpointError, `${what}: ${String(e)}`);
          assert.ok(isUsageError(e), `${what}: a checkpoint error is the user's file, a usage error`);
          assert.match((e as Error).message, message, what);
          assert.ok((e as Error).message.includes(path), `${what}: the message names the file`);
          return true;
        },
      );
    }
    // An architecture the registry does not know fails when the model is built, naming the field.
    const unknown = withMeta(dir, 'unknown-model', (m) => (m.model = 'no_such_net'));
    assert.throws(() => loadModelFromCheckpoint(unknown), /model: unknown architecture 'no_such_net'/);
    assert.equal(liveTensors(), before, 'rejected checkpoints free their tensors');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
