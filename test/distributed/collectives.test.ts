// Two processes over 127.0.0.1: the collectives' values, and the GradientReducer (c10d's DDP
// reducer) giving the same weights as one process on the same global batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributed, Linear } from '../../src/index.js';
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
  // float16 gradient compression: the same weights to float16's precision, and not to
  // float32's (the hook must have run: an exact all-reduce lands within 1e-5, as above).
  const halved = await runWorkers(2, ['train', steps, batch, 'view', 'fp16'], { port: await freePort(), deadlineMs: 80_000 });
  for (const r of halved) assert.equal(r.code, 0, `rank ${r.rank} (fp16 compression): ${r.stderr}`);
  assert.deepEqual(halved[0]!.json.weights, halved[1]!.json.weights, 'ranks diverged (fp16 compression)');
  const relHalved = maxRelative(halved[0]!.json.weights, single!.json.weights);
  assert.ok(relHalved < 5e-3 && relHalved > 1e-5, `max relative difference with fp16 compression ${relHalved}, expected float16's rounding (1e-5 … 5e-3)`);
  // The run must have moved the weights, or the comparison proves nothing.
  const [fresh] = await runWorkers(1, ['train', '0', batch, 'single'], { port: 0, deadlineMs: 60_000, env: { WORLD_SIZE: '' } });
  assert.ok(maxRelative(fresh!.json.weights, single!.json.weights) > 1e-2);
});

test('gradientCompression: fp16 is registered and reported; an unknown compression is refused by name', { skip, timeout: 60_000 }, async () => {
  const group = await distributed.initProcessGroup({ rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 20_000 });
  const layer = new Linear(4, 2);
  try {
    const reducer = new distributed.GradientReducer(group, layer.parameters(), { gradientCompression: 'fp16' });
    assert.equal(reducer.gradientCompression, 'fp16');
    reducer.dispose();
    const plain = new distributed.GradientReducer(group, layer.parameters());
    assert.equal(plain.gradientCompression, 'none');
    plain.dispose();
    assert.throws(
      () => new distributed.GradientReducer(group, layer.parameters(), { gradientCompression: 'bf16' as distributed.GradientCompression }),
      /gradientCompression must be one of none, fp16, got "bf16"/,
    );
  } finally {
    layer.dispose();
    group.destroy();
  }
});
