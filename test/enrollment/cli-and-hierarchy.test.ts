/**
 * `finegrain enroll` and `finegrain classes` end to end on a copy of the tiny fixture, `eval`
 * scoring the enrolled class, and where an enrolled class goes in a class hierarchy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifier } from '../../src/index.js';
import { EnrolledClasses } from '../../src/enrollment/enrolled-classes.js';
import { enrolledPath } from '../../src/enrollment/sidecar.js';
import { hierarchyFromNames } from '../../src/hierarchy/from-names.js';
import { extendHierarchy } from '../../src/pipeline/enrolled-hierarchy.js';
import type { Fixture } from '../serve/serve-support.js';
import { enrollFixture } from './enroll-fixture.js';

const CLI = join(process.cwd(), 'build/src/cli/main.js');
let fx: Fixture;
let ckpt: string;
const dir = mkdtempSync(join(tmpdir(), 'fg-enroll-cli-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

before(async () => {
  ({ fx, ckpt } = await enrollFixture(dir));
  // Test data: the fixture's three classes and class_3's photos.
  mkdirSync(join(dir, 'test'));
  for (const c of fx.classes) symlinkSync(join(fx.dir, 'test', c), join(dir, 'test', c));
  symlinkSync(join(dir, 'new', 'class_3'), join(dir, 'test', 'class_3'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('finegrain enroll adds a class from a folder of photos; classes lists and removes it; eval and export carry it', async () => {
  const r = cli('enroll', '--checkpoint', ckpt, '--class', 'class_3', join(dir, 'new', 'class_3'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /enrolled 'class_3' from 10 photo\(s\)/);
  assert.ok(existsSync(enrolledPath(ckpt)));
  const list = cli('classes', 'list', '--checkpoint', ckpt, '--json');
  assert.equal(list.status, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { trained: string[]; enrolled: { name: string; photos: number }[] };
  assert.deepEqual(listed.trained, fx.classes);
  assert.deepEqual(
    listed.enrolled.map((c) => [c.name, c.photos]),
    [['class_3', 10]],
  );
  const ev = cli('eval', '--checkpoint', ckpt, '--data', join(dir, 'test'), '--precision', 'float32', '--json', join(dir, 'eval.json'));
  assert.equal(ev.status, 0, ev.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { perClass: { name: string; images: number; accuracy: number }[] };
  const enrolled = report.perClass.find((c) => c.name === 'class_3');
  assert.ok(enrolled && enrolled.images === 10, 'eval scores the enrolled class');
  assert.ok(enrolled.accuracy >= 0.8, `the photos it was enrolled from are recognised: ${enrolled.accuracy}`);
  // Usage errors: one line, status 2, nothing changed.
  for (const args of [
    ['enroll', '--checkpoint', ckpt, '--class', 'class_1', join(dir, 'new', 'class_3')],
    ['enroll', '--checkpoint', ckpt, '--class', 'x'],
    ['enroll', '--checkpoint', ckpt, '--class', 'x', join(dir, 'missing')],
    ['classes', 'remove', '--checkpoint', ckpt, 'class_0'],
    ['classes', 'frobnicate', '--checkpoint', ckpt],
  ]) {
    const bad = cli(...args);
    assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  }
  // The ONNX export carries the enrolled class, and answers as the checkpoint does.
  const onnx = join(dir, 'enrolled.onnx');
  const ex = cli('export', '--checkpoint', ckpt, '--out', onnx);
  assert.equal(ex.status, 0, ex.stderr);
  {
    using a = await classifier(ckpt, { precision: 'float32' });
    using b = await classifier(onnx, { threads: 1 });
    assert.deepEqual(b.classes, [...fx.classes, 'class_3']);
    for (const p of [join(dir, 'new', 'class_3', '7.png'), fx.photos.class_0![0]!]) {
      const [x, y] = [await a.classify(p, { topK: 2 }), await b.classify(p, { topK: 2 })];
      assert.deepEqual(
        y.predictions.map((q) => q.label),
        x.predictions.map((q) => q.label),
        p,
      );
      assert.ok(Math.abs(y.predictions[0]!.score - x.predictions[0]!.score) < 1e-3, `${y.predictions[0]!.score} vs ${x.predictions[0]!.score}`);
    }
  }
  const rm = cli('classes', 'remove', '--checkpoint', ckpt, 'class_3');
  assert.equal(rm.status, 0, rm.stderr);
  assert.ok(!existsSync(enrolledPath(ckpt)));
});

test('an enrolled class takes its place in the hierarchy: parents given, or read off a make-model-year name; otherwise refused', () => {
  const trained = ['Audi S4 Sedan 2007', 'Audi S4 Sedan 2012', 'BMW M3 Coupe 2012'];
  const stored = { hierarchy: hierarchyFromNames(trained, 'make-model-year'), thresholds: [0.5, 0.6, 0.7], info: {} as never };
  const one = (name: string, parents?: string[]) =>
    new EnrolledClasses([{ name, embeddings: new Float32Array(2), photos: 1, photoSha256: [], enrolledAt: '', ...(parents && { parents }) }], 2);
  const parsed = extendHierarchy(stored, trained, one('Audi A5 Coupe 2012'))!;
  assert.deepEqual(parsed.hierarchy.pathOf(3), ['Audi', 'Audi A5 Coupe', 'Audi A5 Coupe 2012']);
  assert.deepEqual(parsed.thresholds, stored.thresholds);
  const given = extendHierarchy(stored, trained, one('Q7 new shape', ['Audi', 'Audi Q7 SUV']))!;
  assert.deepEqual(given.hierarchy.pathOf(3), ['Audi', 'Audi Q7 SUV', 'Q7 new shape']);
  assert.throws(() => extendHierarchy(stored, trained, one('mystery car')), /no place in the class hierarchy.*parents/);
  assert.equal(extendHierarchy(null, trained, one('anything')), null);
});
