/**
 * `--pretrained` with a finegrain run checkpoint: the new run's network starts with every
 * weight of the old one and the classifier rows of the classes both share, by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRunCheckpoint, modelFromRunCheckpoint } from '../../src/train/init-from-checkpoint.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { liveTensors } from '../../src/index.js';
import { scope } from '../../src/tensor/scope.js';
import { tinyFixture } from '../serve/serve-support.js';

test('a run checkpoint initialises a run with other classes: body weights copied, shared classes keep their rows by name', async () => {
  const fx = await tinyFixture();
  assert.ok(isRunCheckpoint(fx.checkpoint));
  assert.ok(!isRunCheckpoint('imagenet'));
  assert.ok(!isRunCheckpoint(undefined));
  const before = liveTensors();
  const source = loadModelFromCheckpoint(fx.checkpoint);
  const classes = ['class_2', 'a new class', 'class_0'];
  const { model, keptRows } = modelFromRunCheckpoint(fx.checkpoint, 'regnetx_002', { numClasses: 3 }, classes);
  try {
    assert.equal(keptRows, 2);
    const src = new Map(source.model.stateEntries());
    const head = model.classifierPath + '.';
    for (const [key, t] of model.stateEntries())
      scope(() => {
        const s = src.get(key)!;
        if (!key.startsWith(head)) {
          assert.ok(t.equal(s), `${key} copied`);
          return;
        }
        assert.ok(t.select(0, 0).equal(s.select(0, 2)), `${key}: class_2's row`);
        assert.ok(t.select(0, 2).equal(s.select(0, 0)), `${key}: class_0's row`);
        if (key.endsWith('weight')) assert.ok(!t.select(0, 1).equal(s.select(0, 1)), `${key}: the new class is initialised, not copied`);
      });
    assert.throws(
      () => modelFromRunCheckpoint(fx.checkpoint, 'resnet18', { numClasses: 3 }, classes),
      /regnetx_002 checkpoint; train it with --model regnetx_002/,
    );
  } finally {
    model.dispose();
    source.model.dispose();
  }
  assert.equal(liveTensors(), before);
});

test('finegrain train with pretrained weights calibrates the best checkpoint after the run (the recipe), unless --no-calibrate', async () => {
  const { spawnSync } = await import('node:child_process');
  const { existsSync, mkdtempSync, rmSync, symlinkSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadCalibration } = await import('../../src/open-world/calibration.js');
  const fx = await tinyFixture();
  const dir = mkdtempSync(join(tmpdir(), 'fg-train-calibrate-'));
  try {
    mkdirSync(join(dir, 'data'));
    for (const c of fx.classes) symlinkSync(join(fx.dir, 'train', c), join(dir, 'data', c));
    const run = (name: string, ...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          join(process.cwd(), 'build/src/cli/main.js'),
          'train',
          '--data',
          join(dir, 'data'),
          '--pretrained',
          fx.checkpoint,
          '--model',
          'regnetx_002',
          '--image-size',
          '32',
          '--epochs',
          '1',
          '--out',
          dir,
          '--name',
          name,
          '--precision',
          'float32',
          '--quiet',
          ...extra,
        ],
        { encoding: 'utf8', timeout: 240_000 },
      );
    const a = run('with');
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stderr, /calibrate true: after training/);
    const cal = loadCalibration(join(dir, 'with', 'checkpoints', 'best.safetensors'));
    assert.ok(cal, 'the best checkpoint is calibrated');
    assert.ok(['trained', 'closed-form'].includes(cal.info.head!.kind));
    cal.dispose();
    const b = run('without', '--no-calibrate');
    assert.equal(b.status, 0, b.stderr);
    assert.ok(!existsSync(join(dir, 'without', 'checkpoints', 'best.calibration.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
