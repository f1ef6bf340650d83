// The micro-batcher with an asynchronous runner (ONNX Runtime answers with a promise): items
// that arrive while a batch runs wait and form the next one, never a second concurrent run;
// a failed run rejects its own items only; idle() resolves when all is done.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroBatcher } from '../../src/serve/batcher.js';

test('an async runner: one batch at a time, later arrivals batched together, failures confined to their batch', async () => {
  const sizes: number[] = [];
  let running = 0;
  let overlapped = false;
  const b = new MicroBatcher<number, number>({
    maxBatch: 4,
    maxWaitMs: 5,
    maxQueue: 64,
    run: async (items) => {
      overlapped ||= running > 0;
      running++;
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 30));
      running--;
      if (items.includes(-1)) throw new Error('bad batch');
      return items.map((x) => x * 10);
    },
  });
  const first = b.admit().submit(1);
  await new Promise((r) => setTimeout(r, 10)); // the first batch (of 1) is running now
  const rest = [2, 3, 4, 5, 6].map((x) => b.admit().submit(x));
  const outcomes = await Promise.all([first, ...rest]);
  assert.deepEqual(
    outcomes.map((o) => o.result),
    [10, 20, 30, 40, 50, 60],
  );
  assert.equal(overlapped, false, 'never two runs at once');
  assert.deepEqual(sizes, [1, 4, 1], 'the five that arrived during the first run were batched by 4');
  const bad = b.admit().submit(-1);
  await assert.rejects(bad, /bad batch/);
  assert.equal((await b.admit().submit(7)).result, 70, 'the next batch runs after a failed one');
  await b.idle();
  assert.equal(b.pending, 0);
});

test('a batch waits only for requests still decoding: a lone one runs at once, a decoding one is waited for, a released one is not', async () => {
  const sizes: number[] = [];
  const b = new MicroBatcher<number, number>({
    maxBatch: 8,
    maxWaitMs: 2000, // long, so any wait for company would show
    maxQueue: 64,
    run: (items) => {
      sizes.push(items.length);
      return items.map((x) => x + 1);
    },
  });
  // Nothing else admitted: no one could join, so no waiting.
  let t0 = performance.now();
  assert.equal((await b.admit().submit(1)).result, 2);
  assert.ok(performance.now() - t0 < 500, `a lone request waited ${(performance.now() - t0).toFixed(0)} ms`);

  // A second request admitted (its image decoding): the first waits for it, and they share a batch.
  const decoding = b.admit();
  const first = b.admit().submit(10);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sizes, [1], 'the first waits while the other decodes');
  const second = decoding.submit(20);
  assert.deepEqual(
    (await Promise.all([first, second])).map((o) => [o.result, o.batchSize]),
    [
      [11, 2],
      [21, 2],
    ],
  );

  // The decoding one fails (released): the waiting one runs at once, not after maxWaitMs.
  const failing = b.admit();
  t0 = performance.now();
  const third = b.admit().submit(30);
  setTimeout(() => failing.release(), 20);
  assert.equal((await third).result, 31);
  assert.ok(performance.now() - t0 < 500, `waited ${(performance.now() - t0).toFixed(0)} ms after the other was released`);
  assert.deepEqual(sizes, [1, 2, 1]);
  await b.idle();
});

test('batch sizes: a batch takes the largest allowed size the queue fills, the rest keep their place in line', async () => {
  const batches: number[][] = [];
  let started!: () => void;
  const firstStarted = new Promise<void>((r) => (started = r));
  const b = new MicroBatcher<number, number>({
    maxBatch: 8,
    batchSizes: [1, 2, 4, 8],
    maxWaitMs: 5,
    maxQueue: 64,
    run: async (items) => {
      batches.push(items);
      started();
      await new Promise((r) => setTimeout(r, 20));
      return items.map((x) => x * 10);
    },
  });
  const first = b.admit().submit(0);
  await firstStarted; // the first batch (of 1) is running now: the rest queue behind it, however loaded the machine
  const rest = [1, 2, 3, 4, 5, 6, 7].map((x) => b.admit().submit(x));
  const outcomes = await Promise.all([first, ...rest]);
  assert.deepEqual(
    outcomes.map((o) => o.result),
    [0, 10, 20, 30, 40, 50, 60, 70],
  );
  assert.deepEqual(batches, [[0], [1, 2, 3, 4], [5, 6], [7]], 'seven waiting ran as 4, 2, 1, in arrival order');
  assert.deepEqual(
    outcomes.map((o) => o.batchSize),
    [1, 4, 4, 4, 4, 2, 2, 1],
  );
  await b.idle();
  assert.equal(b.pending, 0);
});

test('batch sizes: fewer waiting than the smallest allowed size run as they are; sizes outside 1 … maxBatch are refused', async () => {
  const batches: number[] = [];
  const b = new MicroBatcher<number, number>({
    maxBatch: 8,
    batchSizes: [8, 4],
    maxWaitMs: 0,
    maxQueue: 8,
    run: (items) => (batches.push(items.length), items),
  });
  await Promise.all([1, 2, 3].map((x) => b.admit().submit(x)));
  assert.ok(batches.every((n) => n < 4) && batches.reduce((a, n) => a + n, 0) === 3, `ran ${batches.join(', ')}`);
  for (const batchSizes of [[9], [0], [2.5]])
    assert.throws(
      () => new MicroBatcher({ maxBatch: 8, batchSizes, maxWaitMs: 0, maxQueue: 8, run: (i: number[]) => i }),
      /batchSizes must be integers 1 … maxBatch/,
    );
});
