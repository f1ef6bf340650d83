import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { fitHierarchy } from '../../src/hierarchy/fit-checkpoint.js';
import { loadHierarchy } from '../../src/hierarchy/sidecar.js';
import { liveTensors } from '../../src/index.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { classifier } from '../../src/pipeline/classifier.js';
import { post, startServer } from '../serve/serve-support.js';

const CLI = join(process.cwd(), 'build/src/cli/main.js');
// Four "series" of two makes, named as Stanford Cars names them.
const SERIES = ['Audi S4 Sedan 2007', 'Audi S4 Sedan 2012', 'BMW M3 Coupe 2012', 'BMW X5 SUV 2007'];

test('a trained checkpoint gets its hierarchy: thresholds fitted on its validation split, measured on test, through the library and the CLI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-hier-'));
  const names = await writeTinyDataset(join(dir, 'data'), { classes: 4, perClass: 16 });
  names.forEach((n, i) => renameSync(join(dir, 'data', n), join(dir, 'data', SERIES[i]!)));
  const run = await train(
    {
      data: join(dir, 'data'),
      out: dir,
      name: 'run',
      model: 'regnetx_002',
      imageSize: 32,
      batchSize: 8,
      epochs: 3,
      lr: 0.05,
      augment: 'none',
      precision: 'float32',
      valFraction: 0.25,
      quiet: true,
    },
    { log: () => {} },
  );
  const ckpt = join(run.runDir, 'checkpoints/best.safetensors');
  const before = liveTensors();
  const summary = await fitHierarchy(ckpt, { source: 'make-model-year', test: { data: join(dir, 'data') } });
  assert.equal(liveTensors(), before, 'fitting leaks no tensors');
  assert.deepEqual(summary.levels, ['make', 'model', 'series']);
  assert.equal(summary.validationImages, 16, "the run's own validation split (25 % of 64)");
  assert.equal(summary.thresholds.length, 3);
  assert.equal(summary.test!.images, 64);
  assert.equal(summary.test!.evaluation.levels.length, 3);
  // Make is at least as accurate as series: the same answers, coarser.
  const [make, , series] = summary.test!.evaluation.levels;
  assert.ok(make!.accuracy >= series!.accuracy);
  const stored = loadHierarchy(ckpt, run.runDir ? JSON.parse(readFileSync(join(run.runDir, 'classes.json'), 'utf8')) : []);
  assert.ok(stored, 'the sidecar is beside the checkpoint');
  assert.deepEqual(stored!.hierarchy.pathOf(stored!.hierarchy.classes.indexOf('Audi S4 Sedan 2012')), ['Audi', 'Audi S4 Sedan', 'Audi S4 Sedan 2012']);

  const out = spawnSync(
    process.execPath,
    [CLI, 'hierarchy', '--checkpoint', ckpt, '--source', 'make-model-year', '--test', join(dir, 'data'), '--json', join(dir, 'h.json')],
    { encoding: 'utf8' },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /stored .*best\.hierarchy\.json: thresholds make/);
  assert.match(out.stdout, /coverage curve/);
  assert.ok(existsSync(join(dir, 'h.json')));
  const ev = spawnSync(process.execPath, [CLI, 'eval', '--checkpoint', ckpt, '--data', join(dir, 'data'), '--json', join(dir, 'eval.json')], {
    encoding: 'utf8',
  });
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /per level \(.*best\.hierarchy\.json\):\nmake: accuracy/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')).hierarchy.levels.length, 3);
  const bad = spawnSync(process.execPath, [CLI, 'hierarchy', '--checkpoint', ckpt, '--source', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /hierarchy source 'nope': neither a name pattern \(make-model-year\) nor a file/);

  // The sidecar is found on its own: the classifier's answers and the server's carry the path.
  const photo = readFileSync(join(dir, 'data', SERIES[1]!, '0.png'));
  const clf = await classifier(ckpt);
  try {
    const r = await clf.classify(photo);
    assert.deepEqual(
      r.hierarchy!.path.map((p) => p.level),
      ['make', 'model', 'series'],
    );
    const [make, model, series] = r.hierarchy!.path;
    assert.ok(make!.score >= model!.score && model!.score >= series!.score - 1e-6, 'a parent scores at least its child');
    assert.ok(SERIES.includes(series!.name), 'the path ends at a series');
    assert.ok(r.hierarchy!.deepestConfident >= -1 && r.hierarchy!.deepestConfident <= 2);
    assert.deepEqual(clf.info.hierarchy!.levels, ['make', 'model', 'series']);
  } finally {
    clf.dispose();
  }
  const server = await startServer(['--checkpoint', ckpt]);
  try {
    const body = await (await post(`${server.url}/v1/classify`, photo, { 'content-type': 'image/png' })).json();
    assert.deepEqual(
      body.hierarchy.path.map((p: { level: string }) => p.level),
      ['make', 'model', 'series'],
    );
    assert.equal(typeof body.hierarchy.deepest_confident, 'number');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
