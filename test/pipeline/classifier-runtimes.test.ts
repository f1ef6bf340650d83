/**
 * The front door over every runtime: `classifier()` on a checkpoint in this thread, on a worker
 * thread, and on its exported .onnx file answers alike; the `Classifier` a user holds shows the
 * user's methods only; `createServer` takes it as it is; and `calibrate()` (the library form of
 * `finegrain calibrate`) writes the calibration that the next `classifier()` picks up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate, classifier, Classifier, isUsageError, liveTensors, openWorld } from '../../src/index.js';
import { loadLibtorchModel } from '../../src/pipeline/libtorch-model.js';
import { servedModelOf } from '../../src/pipeline/classifier.js';
import { createServer } from '../../src/serve/index.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';

let fx: Fixture;
let onnxFile: string;
const dir = mkdtempSync(join(tmpdir(), 'fg-classifier-runtimes-'));
before(async () => {
  fx = await tinyFixture();
  using model = await loadLibtorchModel(fx.checkpoint, { precision: 'float32' });
  onnxFile = join(dir, 'tiny.onnx');
  writeFileSync(onnxFile, (await model.onnxModel()).bytes);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const photos = () => Object.values(fx.photos).flatMap((p) => p.slice(0, 2));

test('the Classifier shows the user methods only; the model behind it is reached through servedModelOf', async () => {
  const methods = Object.getOwnPropertyNames(Classifier.prototype).sort();
  assert.deepEqual(methods, ['classes', 'classify', 'constructor', 'dispose', 'enroll', 'enrolledClasses', 'info', 'removeClass', 'verify']);
  using clf = await classifier(fx.checkpoint, { precision: 'float32' });
  assert.deepEqual(Object.keys(clf), [], 'classes and info are getters over the model (they follow enrollment)');
  assert.deepEqual(clf.classes, fx.classes);
  const served = servedModelOf(clf);
  assert.equal(typeof served.runBatch, 'function');
  assert.equal(servedModelOf(served), served, 'a ServedModel passes through');
});

test('a checkpoint on a worker thread and its .onnx file answer as the checkpoint in this thread', async () => {
  const before = liveTensors();
  const here = await classifier(fx.checkpoint, { precision: 'float32' });
  const worker = await classifier(fx.checkpoint, { precision: 'float32', worker: true, threads: 1 });
  const onnx = await classifier(onnxFile, { threads: 1 });
  try {
    assert.equal(here.info.runtime, 'libtorch');
    assert.equal(worker.info.runtime, 'libtorch');
    assert.equal(onnx.info.runtime, 'onnx');
    assert.deepEqual(onnx.classes, here.classes);
    for (const photo of photos()) {
      const expected = await here.classify(photo, { topK: 3 });
      for (const [name, other] of [
        ['worker', worker],
        ['onnx', onnx],
      ] as const) {
        const r = await other.classify(photo, { topK: 3 });
        assert.deepEqual(
          r.predictions.map((p) => p.label),
          expected.predictions.map((p) => p.label),
          `${name}: ${photo}`,
        );
        for (const [i, p] of r.predictions.entries())
          assert.ok(Math.abs(p.score - expected.predictions[i]!.score) < 1e-3, `${name}: ${p.score} vs ${expected.predictions[i]!.score}`);
        assert.equal(r.unknown.isUnknown, expected.unknown.isUnknown, name);
        const v = await other.verify(photo, 'class_1');
        assert.equal(v.decision, (await here.verify(photo, 'class_1')).decision, name);
      }
    }
    const withMap = await worker.classify(fx.photos.class_0![0]!, { attention: true });
    assert.match(withMap.attention!.image, /^data:image\/png;base64,/);
    await assert.rejects(() => onnx.classify(fx.photos.class_0![0]!, { attention: true }), { name: 'NotAvailableError' });
  } finally {
    here.dispose();
    worker.dispose();
    onnx.dispose();
  }
  assert.equal(liveTensors(), before, 'every runtime frees what it made in this thread');
  await assert.rejects(() => worker.classify(fx.photos.class_0![0]!), /after dispose/);
});

test('classifier() refuses option mixes that would be ignored, with the reason', async () => {
  await assert.rejects(() => classifier(fx.checkpoint, { threads: 2 }), /`threads` applies with `worker: true` or an .onnx file/);
  await assert.rejects(() => classifier([onnxFile, fx.checkpoint]), /served alone/);
  await assert.rejects(() => classifier([]), /no model file/);
});

test('createServer takes a Classifier as it is', async () => {
  using clf = await classifier(fx.checkpoint, { precision: 'float32' });
  const server = await createServer(clf, { host: '127.0.0.1', port: 0, warmUp: false });
  try {
    const url = await server.listen();
    const res = await fetch(`${url}/v1/model`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { classes: string[] }).classes, [...clf.classes]);
  } finally {
    await server.close();
  }
  assert.equal((await clf.classify(fx.photos.class_2![0]!)).predictions.length, 3, 'the classifier stays usable after the server closes');
});

test('calibrate() fits and stores the calibration that the next classifier() uses; bad options are usage errors', async () => {
  const ckpt = join(dir, 'copy.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  await assert.rejects(
    () => calibrate(ckpt),
    (e: unknown) => isUsageError(e) && /not inside a run folder/.test((e as Error).message),
  );
  await assert.rejects(
    () => calibrate(ckpt, { data: join(fx.dir, 'train'), passRate: 1.5 }),
    (e: unknown) => isUsageError(e) && /passRate/.test((e as Error).message),
  );
  assert.equal(existsSync(openWorld.calibrationPath(ckpt)), false, 'nothing written on a refusal');

  const notes: string[] = [];
  const summary = await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32', k: 3, onNote: (l) => notes.push(l) });
  assert.equal(summary.path, openWorld.calibrationPath(ckpt));
  assert.ok(existsSync(summary.path));
  assert.ok(summary.temperature > 0);
  assert.equal(summary.validationImages, 18, 'half of the 36 training photos set temperature and thresholds');
  assert.ok(Number.isFinite(summary.thresholds.knn));
  assert.match(notes[0]!, /split in halves/);

  using clf = await classifier(ckpt, { precision: 'float32' });
  const cal = clf.info.calibration as { calibrated: boolean; temperature: number };
  assert.equal(cal.calibrated, true);
  assert.ok(Math.abs(cal.temperature - summary.temperature) < 1e-6);
});
