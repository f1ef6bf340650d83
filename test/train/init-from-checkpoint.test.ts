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
