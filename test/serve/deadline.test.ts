// A request's deadline (src/serve/deadline.ts): the timeout answers first, and the step's own
// later rejection — the batcher rejecting an item whose deadline passed in the queue — is
// observed, so it never becomes an unhandled rejection that would end the server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestTimeoutError } from '../../src/serve/batcher.js';
import { withDeadline } from '../../src/serve/deadline.js';

function lateRejection(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new RequestTimeoutError('timed out waiting for the model')), ms));
}

test('a deadline already past or passing first: a RequestTimeoutError, and the late rejection is not unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(withDeadline(lateRejection(20), performance.now() - 1), /the request timed out/);
    await assert.rejects(withDeadline(lateRejection(40), performance.now() + 10), /the request timed out/);
    await new Promise((r) => setTimeout(r, 80)); // both late rejections have happened
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a step that ends in time gives its value or its own error', async () => {
  assert.equal(await withDeadline(Promise.resolve(7), performance.now() + 1000), 7);
  await assert.rejects(withDeadline(Promise.reject(new Error('bad image')), performance.now() + 1000), /bad image/);
});
