// A run that fails before it begins (its data has one usable class, or none) leaves no run
// folder behind: the user's next try with the default, timestamped name — in the same second —
// must not be told that the folder "already holds a run". A folder that already held files of
// the user's keeps them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from './tiny-dataset.js';

test('a run that fails before training leaves no run folder; a second try in the same second gets the data error again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-failed-start-'));
  try {
    await writeTinyDataset(join(dir, 'one'), { classes: 1, perClass: 4 });
    const out = join(dir, 'runs');
    const config = { data: join(dir, 'one'), out, model: 'resnet18', epochs: 1, imageSize: 32 };
    for (let i = 0; i < 2; i++) await assert.rejects(train(config, { log: () => {} }), /1 usable class/);
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'nothing left under out');
    // A named folder the user made, with a file of theirs: only what the run wrote goes.
    mkdirSync(join(out, 'mine'), { recursive: true });
    writeFileSync(join(out, 'mine', 'notes.txt'), 'keep me');
    await assert.rejects(train({ ...config, name: 'mine' }, { log: () => {} }), /1 usable class/);
    assert.deepEqual(readdirSync(join(out, 'mine')), ['notes.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
