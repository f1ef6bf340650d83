// The addon's state is per thread (native/src/shim.h): worker threads running libtorch beside
// the main thread each have their own tensor handles, operator ids and deferred frees. When
// that state was process-wide, a model in a worker next to tensors on the main thread
// corrupted the heap; these checks see the sharing directly, without waiting for a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { native } from '../../src/native/binding.js';
import { randn, scope } from '../../src/index.js';

function runWorker(data: { rounds: number; hold: number }): Promise<Record<string, unknown>> {
  const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: data });
  return new Promise((resolve, reject) => {
    let message: Record<string, unknown> | undefined;
    worker.once('message', (m) => (message = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 && message ? resolve(message) : reject(new Error(`worker exit ${code}`))));
  });
}

test('two workers and the main thread run tensor work at once; each sees only its own tensors', async () => {
  const mine = randn([4, 4]);
  const mineSum = scope(() => mine.sum().item());
  // The main thread holds many tensors, so a shared table would show in a worker's count.
  const many = Array.from({ length: 300 }, () => randn([2]));
  const live = native.liveTensors();
  const workers = [runWorker({ rounds: 400, hold: 50 }), runWorker({ rounds: 400, hold: 70 })];
  // The main thread keeps working (and disposing) while the workers run.
  let rounds = 0;
  let done = false;
  void Promise.all(workers).finally(() => (done = true));
  while (!done || rounds < 50) {
    scope(() => {
      const a = randn([32, 32]);
      a.matmul(a).sum().item();
      a.dispose();
    });
    rounds++;
    await new Promise((r) => setImmediate(r));
  }
  const results = await Promise.all(workers);
  for (const [i, r] of results.entries()) {
    const hold = i === 0 ? 50 : 70;
    const before = r.before as number;
    assert.ok(before < 300, `a new thread starts without the main thread's ${live} tensors (it counted ${before})`);
    assert.equal(r.holding, before + hold, "a thread counts its own tensors, not the main thread's or the other worker's");
    assert.equal(r.after, before + hold, 'its scopes and dispose() freed everything else');
    assert.equal(r.checksum, true);
  }
  assert.equal(native.liveTensors(), live, "the workers' tensors, held to their end, never counted here");
  assert.equal(
    scope(() => mine.sum().item()),
    mineSum,
    "the main thread's tensor is intact",
  );
  mine.dispose();
  for (const t of many) t.dispose();
  assert.equal(native.liveTensors(), live - 301);
});
