// Pretrained googlenet / inception_v3 files come in two forms: with the auxiliary classifiers
// (the training checkpoint) or without (torchvision drops them from a pretrained model after
// loading). Both load, and a new label set re-initialises the auxiliary heads as well as the
// main one instead of failing on their shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, randn, saveSafetensors, scope, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';

/** Largest absolute difference of two same-shape tensors. */
const maxAbsDiff = (a: Tensor, b: Tensor): number => scope(() => a.sub(b).abs().max().item() as number);

const dir = mkdtempSync(join(tmpdir(), 'fg-aux-'));

test('a googlenet file without aux classifiers builds a model without them', () => {
  const source = createModel('googlenet', { auxLogits: false } as never);
  const file = join(dir, 'no-aux.safetensors');
  saveSafetensors(file, source.stateDict());
  const loaded = createModel('googlenet', { pretrained: file });
  try {
    assert.equal(
      loaded.stateEntries().some(([k]) => k.startsWith('aux1.')),
      false,
    );
    source.eval();
    loaded.eval();
    noGrad(() =>
      scope(() => {
        const x = randn([1, 3, 64, 64]);
        assert.equal(maxAbsDiff(loaded.forward(x), source.forward(x)), 0);
      }),
    );
  } finally {
    source.dispose();
    loaded.dispose();
  }
});

test('a googlenet file with aux classifiers loads for a new label set, every head re-initialised', () => {
  const source = createModel('googlenet');
  const file = join(dir, 'aux.safetensors');
  saveSafetensors(file, source.stateDict());
  const loaded = createModel('googlenet', { pretrained: file, numClasses: 10 });
  try {
    const sd = loaded.stateDict();
    assert.deepEqual(sd['aux1.fc2.weight']!.shape, [10, 1024]);
    assert.deepEqual(sd['aux2.fc2.weight']!.shape, [10, 1024]);
    for (const k of ['aux1.fc2.weight', 'aux2.fc2.bias', 'fc.weight']) {
      const v = sd[k]!.toTypedArray() as Float32Array;
      assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0), `${k} is initialised`);
    }
    assert.equal(maxAbsDiff(sd['aux1.fc1.weight']!, source.stateDict()['aux1.fc1.weight']!), 0, 'the rest of the aux head is pretrained');
    assert.equal(maxAbsDiff(sd['inception5b.branch1.conv.weight']!, source.stateDict()['inception5b.branch1.conv.weight']!), 0);
  } finally {
    source.dispose();
    loaded.dispose();
  }
});
