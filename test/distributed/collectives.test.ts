// Two processes over 127.0.0.1: the collectives' values, and the GradientReducer (c10d's DDP
// reducer) giving the same weights as one process on the same global batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributed } from '../../src/index.js';
import { freePort, maxRelative, runWorkers } from './workers.js';

const skip = distributed.distributedBackends().gloo ? false : 'this addon was built without distributed support (libgloo-dev missing)';

test('allReduce, broadcast, allGather and barrier across 2 processes', { skip, timeout: 90_000 }, async () => {
  const port = await freePort();
  const results = await runWorkers(2, ['collectives'], { port, deadlineMs: 80_000 });
  for (const r of results) {
    assert.equal(r.code, 0, `rank ${r.rank}: ${r.stderr}`);
    assert.deepEqual(r.json.sum, [3, 30]);
    assert.deepEqual(r.json.avg, [1.5, 2]);
    assert.deepEqual(r.json.max, [1, 0]);
    assert.deepEqual(r.json.broadcast, [7, 8, 9]);
    assert.deepEqual(r.json.gathered, [
      [0, 0],
      [1, 1],
    ]);
  }
});

test('2 ranks with the gradient reducer end with the weights of 1 process on the same global batch', { skip, timeout: 150_000 }, async () => {
  const steps = '4';
  const batch = '8';
  const [single] = await runWorkers(1, ['train', steps, batch, 'single'], { port: 0, deadlineMs: 60_000, env: { WORLD_SIZE: '' } });
  assert.equal(single!.code, 0, single!.stderr);
  const port = await freePort();
  const ranks = await runWorkers(2, ['train', steps, batch], { port, deadlineMs: 80_000 });
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank}: ${r.stderr}`);
  // Small buckets: several all-reduces per backward, as with a real model.
  assert.ok(ranks[0]!.json.buckets >= 2, `buckets: ${ranks[0]!.json.buckets}`);
  assert.deepEqual(ranks[0]!.json.weights, ranks[1]!.json.weights, 'ranks diverged');
  const rel = maxRelative(ranks[0]!.json.weights, single!.json.weights);
  assert.ok(rel < 1e-5, `max relative difference ${rel}`);
  // Gradients as bucket views (backward accumulates into the all-reduced buffers, zeroed in
  // place): the same weights.
  // With the first half of each rank's batch accumulated locally (no_sync) before the
  // synchronised half, as the Trainer's --accumulate does.
  const viewed = await runWorkers(2, ['train', steps, batch, 'view', 'accumulate'], { port: await freePort(), deadlineMs: 80_000 });
  for (const r of viewed) assert.equal(r.code, 0, `rank ${r.rank} (bucket views): ${r.stderr}`);
  assert.deepEqual(viewed[0]!.json.weights, viewed[1]!.json.weights, 'ranks diverged (bucket views)');
  const relViewed = maxRelative(viewed[0]!.json.weights, single!.json.weights);
  assert.ok(relViewed < 1e-5, `max relative difference with bucket views ${relViewed}`);
  // The run must have moved the weights, or the comparison proves nothing.
  const [fresh] = await runWorkers(1, ['train', '0', batch, 'single'], { port: 0, deadlineMs: 60_000, env: { WORLD_SIZE: '' } });
  assert.ok(maxRelative(fresh!.json.weights, single!.json.weights) > 1e-2);
});
