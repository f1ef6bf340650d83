// The batch sizes a server runs at: maxBatch and the powers of two below it by default; a list
// of the user's own checked against maxBatch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servedBatchSizes } from '../../src/serve/options.js';

test('default batch sizes: maxBatch and the powers of two below it, largest first', () => {
  assert.deepEqual(servedBatchSizes({ maxBatch: 8 }), [8, 4, 2, 1]);
  assert.deepEqual(servedBatchSizes({ maxBatch: 6 }), [6, 4, 2, 1]);
  assert.deepEqual(servedBatchSizes({ maxBatch: 12 }), [12, 8, 4, 2, 1]);
  assert.deepEqual(servedBatchSizes({ maxBatch: 1 }), [1]);
});

test('batch sizes of the user’s own: sorted and deduplicated, every one within 1 … maxBatch, maxBatch among them', () => {
  assert.deepEqual(servedBatchSizes({ maxBatch: 6, batchSizes: [1, 3, 6, 3] }), [6, 3, 1]);
  assert.deepEqual(servedBatchSizes({ maxBatch: 8, batchSizes: [8, 7, 6, 5, 4, 3, 2, 1] }), [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.throws(() => servedBatchSizes({ maxBatch: 8, batchSizes: [4, 2] }), /must include maxBatch \(8\)/);
  assert.throws(() => servedBatchSizes({ maxBatch: 8, batchSizes: [16, 8] }), /integers from 1 to maxBatch/);
  assert.throws(() => servedBatchSizes({ maxBatch: 8, batchSizes: [] }), /at least one size/);
  assert.throws(() => servedBatchSizes({ maxBatch: 0 }), /maxBatch must be an integer >= 1/);
});
