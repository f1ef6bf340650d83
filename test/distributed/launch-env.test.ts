// torchrun's environment conventions, and each rank's shard of an epoch's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchEnv, shardOrder } from '../../src/distributed/index.js';
import { randomSampler } from '../../src/data/loader/sampler.js';
import { shardedSampler } from '../../src/data/loader/sharded-sampler.js';

test('launchEnv reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT with defaults', () => {
  assert.equal(launchEnv({}), null);
  assert.deepEqual(launchEnv({ WORLD_SIZE: '4', RANK: '3', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29400' }), {
    rank: 3,
    worldSize: 4,
    localRank: 1,
    localWorldSize: 2,
    masterAddr: '10.0.0.1',
    masterPort: 29400,
  });
  assert.deepEqual(launchEnv({ WORLD_SIZE: '2', RANK: '1' }), {
    rank: 1,
    worldSize: 2,
    localRank: 1,
    localWorldSize: 2,
    masterAddr: '127.0.0.1',
    masterPort: 29500,
  });
});

test('launchEnv rejects inconsistent or malformed variables with the variable named', () => {
  assert.throws(() => launchEnv({ WORLD_SIZE: '2' }), /RANK is not/);
  assert.throws(() => launchEnv({ WORLD_SIZE: '2', RANK: '2' }), /RANK=2 must be below WORLD_SIZE=2/);
  assert.throws(() => launchEnv({ WORLD_SIZE: 'two', RANK: '0' }), /WORLD_SIZE="two"/);
  assert.throws(() => launchEnv({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '70000' }), /MASTER_PORT=70000/);
});

test('shards pad to a multiple of the world size, and the k-th batches of all ranks make the k-th global batch', () => {
  const order = randomSampler(10, 7).indices(3);
  const shards = [0, 1, 2].map((r) => shardOrder(order, r, 3));
  for (const s of shards) assert.equal(s.length, 4);
  assert.deepEqual(shards.flat().sort(), [...order, order[0]!, order[1]!].sort());
  // Per-rank batch 2 over 2 ranks = global batch 4 of the one-process order.
  const two = [0, 1].map((r) => shardOrder(order.slice(0, 8), r, 2));
  for (let k = 0; k < 2; k++) {
    const union = two.flatMap((s) => s.slice(2 * k, 2 * k + 2)).sort();
    assert.deepEqual(union, order.slice(4 * k, 4 * k + 4).sort());
  }
  assert.throws(() => shardOrder(order, 2, 2), /rank must be in \[0, 2\)/);
});

test('shardedSampler keeps the (seed, epoch) order and is the sampler itself in a world of one', () => {
  const inner = randomSampler(9, 1);
  assert.equal(shardedSampler(inner, null), inner);
  assert.equal(shardedSampler(inner, { rank: 0, worldSize: 1 }), inner);
  const s = shardedSampler(inner, { rank: 1, worldSize: 2 });
  assert.deepEqual(s.indices(5), shardOrder(inner.indices(5), 1, 2));
  assert.notDeepEqual(s.indices(5), s.indices(6));
});
