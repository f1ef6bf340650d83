// Inference's cache of freed CPU tensor blocks (native/src/tensor-cache.cc): reuse while held,
// the limit, nothing kept after the last release, correct values from reused blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdTensorCache, randn, scope, tensorCacheLimitBytes, tensorCacheStats, zeros } from '../../src/index.js';

const MIB = 2 ** 20;
const oneMiB = [MIB / 4]; // float32 elements

test('a freed block is reused for the next tensor of its size while the cache is held', () => {
  const before = tensorCacheStats();
  assert.equal(before.holders, 0);
  const release = holdTensorCache(8 * MIB);
  try {
    zeros(oneMiB).dispose();
    const kept = tensorCacheStats();
    assert.ok(kept.cachedBytes >= MIB, `freed 1 MiB block kept (cached ${kept.cachedBytes})`);
    const t = zeros(oneMiB);
    const after = tensorCacheStats();
    assert.equal(after.hits, kept.hits + 1, 'the second allocation came from the cache');
    assert.ok(after.cachedBytes < kept.cachedBytes);
    // A reused block holds the previous tensor's bytes: zeros must still read as zeros.
    assert.equal(t.abs().sum().item(), 0);
    t.dispose();
  } finally {
    release();
  }
  const end = tensorCacheStats();
  assert.equal(end.holders, 0);
  assert.equal(end.cachedBytes, 0, 'the last release returns every block');
  assert.equal(end.cachedBlocks, 0);
});

test('without a holder nothing is kept', () => {
  const before = tensorCacheStats();
  zeros(oneMiB).dispose();
  zeros(oneMiB).dispose();
  const after = tensorCacheStats();
  assert.equal(after.cachedBytes, 0);
  assert.equal(after.hits, before.hits);
});

test('the cache never keeps more than its limit', () => {
  const release = holdTensorCache(2 * MIB);
  try {
    const ts = [zeros(oneMiB), zeros(oneMiB), zeros(oneMiB), zeros(oneMiB)];
    for (const t of ts) t.dispose();
    const s = tensorCacheStats();
    assert.ok(s.cachedBytes <= 2 * MIB, `cached ${s.cachedBytes} over a 2 MiB limit`);
    assert.ok(s.cachedBytes >= MIB);
  } finally {
    release();
  }
});

test('holders nest; a release called twice releases once; blocks freed after the release go back', () => {
  const a = holdTensorCache(4 * MIB);
  const b = holdTensorCache(4 * MIB);
  const t = zeros(oneMiB);
  a();
  a();
  assert.equal(tensorCacheStats().holders, 1);
  b();
  assert.equal(tensorCacheStats().holders, 0);
  t.dispose(); // allocated by the cache, freed with no holder: back to the system
  assert.equal(tensorCacheStats().cachedBytes, 0);
  assert.equal(holdTensorCache(0)(), undefined); // a zero limit holds nothing
  assert.equal(tensorCacheStats().holders, 0);
});

test('computations on reused blocks give the same values as on fresh ones', () => {
  const x = randn([64, 64, 64]).keep();
  const fresh = scope(() => x.mul(3).add(1).clamp(0).sum().item());
  const release = holdTensorCache(64 * MIB);
  try {
    for (let i = 0; i < 5; i++)
      assert.equal(
        scope(() => x.mul(3).add(1).clamp(0).sum().item()),
        fresh,
      );
    assert.ok(tensorCacheStats().hits > 0);
  } finally {
    release();
    x.dispose();
  }
});

test('FINEGRAIN_TENSOR_CACHE_MIB: default 1 GiB, 0 off, anything else a clear error', () => {
  assert.equal(tensorCacheLimitBytes({}), 1024 * MIB);
  assert.equal(tensorCacheLimitBytes({ FINEGRAIN_TENSOR_CACHE_MIB: '0' }), 0);
  assert.equal(tensorCacheLimitBytes({ FINEGRAIN_TENSOR_CACHE_MIB: '256' }), 256 * MIB);
  assert.throws(() => tensorCacheLimitBytes({ FINEGRAIN_TENSOR_CACHE_MIB: 'lots' }), /FINEGRAIN_TENSOR_CACHE_MIB must be a number/);
  assert.throws(() => tensorCacheLimitBytes({ FINEGRAIN_TENSOR_CACHE_MIB: '-1' }), /FINEGRAIN_TENSOR_CACHE_MIB/);
});

test('a request takes a free block up to twice its size (a smaller batch runs in a larger one’s blocks), not larger', () => {
  const release = holdTensorCache(16 * MIB);
  try {
    zeros([MIB / 2]).dispose(); // a 2 MiB block kept
    const kept = tensorCacheStats();
    const half = zeros([MIB / 4 + 1024]); // just over 1 MiB: fits in the 2 MiB block
    const afterHalf = tensorCacheStats();
    assert.equal(afterHalf.hits, kept.hits + 1, 'served from the 2 MiB block');
    assert.equal(afterHalf.cachedBytes, kept.cachedBytes - 2 * MIB, 'the whole block left the cache');
    half.dispose();
    assert.equal(tensorCacheStats().cachedBytes, kept.cachedBytes, 'and came back whole');
    const quarter = zeros([MIB / 8]); // 512 KiB: a 2 MiB block would waste three quarters
    assert.equal(tensorCacheStats().misses, afterHalf.misses + 1, 'a block over twice the size is not taken');
    quarter.dispose();
  } finally {
    release();
  }
});
