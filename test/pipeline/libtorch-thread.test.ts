// The classifier on its own inference thread (what `finegrain serve` runs): the same answers
// as the in-process classifier, forward passes that leave the caller's event loop free, the
// loader's errors with their names, and no answer after dispose().
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadLibtorchModel, type LibtorchModel } from '../../src/pipeline/libtorch-model.js';
import type { BatchItem } from '../../src/pipeline/served-model.js';
import { loadLibtorchThread, type LibtorchThreadModel } from '../../src/pipeline/libtorch-thread.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';

let fx: Fixture;
let local: LibtorchModel;
let threaded: LibtorchThreadModel;
let photos: string[];

before(async () => {
  fx = await tinyFixture();
  photos = fx.classes.flatMap((c) => fx.photos[c]!);
  local = await loadLibtorchModel(fx.checkpoint, { precision: 'float32' });
  threaded = await loadLibtorchThread(fx.checkpoint, { precision: 'float32' }, { threads: 1 });
});

after(() => {
  threaded?.dispose();
  local?.dispose();
});

test('the inference thread answers as the in-process classifier: predictions, unknown, quality, claimed rank, attention', async () => {
  assert.deepEqual(threaded.info.classes, local.info.classes);
  assert.equal(threaded.info.precision, 'float32');
  assert.equal(threaded.info.checkpoints[0]!.sha256, local.info.checkpoints[0]!.sha256);
  const images = await Promise.all(photos.map((p) => threaded.decode(p)));
  const items: BatchItem[] = images.map((image, i) => ({ image, topK: 3, claimedClass: i % fx.classes.length, attentionClass: i === 0 ? 'top' : undefined }));
  const [mine, theirs] = [await threaded.runBatch(items), local.runBatch(items)];
  assert.equal(mine.length, photos.length);
  for (let i = 0; i < photos.length; i++) {
    assert.deepEqual(mine[i]!.predictions, theirs[i]!.predictions, `photo ${i}`);
    assert.deepEqual(mine[i]!.unknown, theirs[i]!.unknown);
    assert.deepEqual(mine[i]!.quality, theirs[i]!.quality);
    assert.deepEqual(mine[i]!.claimed, theirs[i]!.claimed);
    assert.deepEqual(threaded.decideVerification(mine[i]!), local.decideVerification(theirs[i]!));
  }
  assert.ok(mine[0]!.attentionMaps, 'the attention map crosses the thread boundary');
  assert.deepEqual(Array.from(mine[0]!.attentionMaps!.map), Array.from(theirs[0]!.attentionMaps!.map));
  const drawn = await threaded.renderAttention(images[0]!, mine[0]!);
  assert.match(drawn!.image, /^data:image\/png;base64,/);
  assert.equal(await threaded.renderAttention(images[1]!, mine[1]!), undefined);
});

test('a forward pass does not block the caller: timers fire while a batch runs on the inference thread', async () => {
  // The thread's first batch is held 300 ms (a fault point read by the thread at its start),
  // so the batch lasts long enough on any machine for the caller's timers to show.
  process.env.FINEGRAIN_FAULT_PAUSE = 'inference-batch:300';
  const held = await loadLibtorchThread(fx.checkpoint, { precision: 'float32' }, { threads: 1 }).finally(() => delete process.env.FINEGRAIN_FAULT_PAUSE);
  try {
    const image = await held.decode(photos[0]!);
    const batch: BatchItem[] = Array.from({ length: 8 }, () => ({ image }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const results = await held.runBatch(batch);
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.equal(results.length, 8);
    // A synchronous pass would let no timer fire until it returned.
    assert.ok(ticks >= 3, `${ticks} timer ticks in a ${ms.toFixed(0)} ms batch`);
  } finally {
    held.dispose();
  }
});

test('the ONNX file comes from the inference thread, once', async () => {
  const a = await threaded.onnxModel();
  const b = await threaded.onnxModel();
  assert.equal(a, b);
  assert.ok(a.bytes.byteLength > 1000);
  assert.equal(a.sha256, (await local.onnxModel()).sha256);
});

test('a checkpoint that cannot load rejects with the loader message and error name; dispose() ends the thread', async () => {
  await assert.rejects(loadLibtorchThread('/nonexistent/best.safetensors'), (e: Error) => /nonexistent/.test(e.message));
  const other = await loadLibtorchThread(fx.checkpoint, { precision: 'float32' }, { threads: 1 });
  const image = await other.decode(photos[0]!);
  const pending = other.runBatch(Array.from({ length: 32 }, () => ({ image })));
  other.dispose();
  await assert.rejects(pending, /after dispose/);
  await assert.rejects(other.runBatch([{ image }]), /after dispose/);
  await assert.rejects(other.decode(photos[0]!), /after dispose/);
});
