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
