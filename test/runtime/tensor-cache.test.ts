// Inference's cache of freed CPU tensor blocks (native/src/tensor-cache.cc): reuse while held,
// the limit, nothing kept after the last release, correct values from reused blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

test('a smaller request is cut from a larger freed block, and freed neighbours merge again', () => {
  const release = holdTensorCache(1024 * MIB);
  try {
    const before = tensorCacheStats();
    // Two 2 MiB blocks side by side at the arena's top; the first one freed.
    const first = zeros([MIB / 2]);
    const guard = zeros([MIB / 2]);
    first.dispose();
    const kept = tensorCacheStats();
    assert.equal(kept.cachedBytes - before.cachedBytes, 2 * MIB);
    const a = zeros([MIB / 8]); // 512 KiB each: cut from the free 2 MiB (or lower), no new pages
    const b = zeros([MIB / 8]);
    const cut = tensorCacheStats();
    assert.equal(cut.hits, kept.hits + 2, 'both served from memory already paged in');
    assert.equal(cut.misses, kept.misses);
    assert.equal(cut.residentBytes, kept.residentBytes, 'the arena did not grow');
    assert.equal(kept.cachedBytes - cut.cachedBytes, MIB);
    assert.equal(cut.liveBytes - kept.liveBytes, MIB);
    a.dispose();
    b.dispose();
    const merged = tensorCacheStats();
    assert.equal(merged.cachedBytes, kept.cachedBytes);
    assert.equal(merged.cachedBlocks, kept.cachedBlocks, 'the free ranges merged back');
    const whole = zeros([MIB / 2]); // a 2 MiB request fits again without growing the arena
    assert.equal(tensorCacheStats().residentBytes, kept.residentBytes);
    whole.dispose();
    guard.dispose();
  } finally {
    release();
  }
});

test('blocks freed in any order merge into what was free before; their values read back until freed', () => {
  const release = holdTensorCache(1024 * MIB);
  try {
    const before = tensorCacheStats();
    const sizes = [3, 1, 4, 1, 5, 9, 2, 6].map((m) => (m * MIB) / 4);
    const ts = sizes.map((n, i) => scope(() => zeros([n]).add(i)));
    for (const i of [5, 0, 7, 2, 1, 6, 3, 4]) {
      assert.equal(ts[i]!.mean().item(), i, `block ${i} kept its values while its neighbours were freed`);
      ts[i]!.dispose();
    }
    const s = tensorCacheStats();
    assert.equal(s.liveBytes, before.liveBytes);
    assert.ok(s.cachedBlocks <= before.cachedBlocks + 1, `free ranges ${before.cachedBlocks} → ${s.cachedBlocks}`);
    assert.equal(s.cachedBytes - before.cachedBytes, s.residentBytes - before.residentBytes);
  } finally {
    release();
  }
});

test('the last release hands the arena’s pages back to the system', { skip: process.platform !== 'linux' && 'reads /proc/self/statm' }, () => {
  const rssMiB = () => (Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096) / MIB;
  const release = holdTensorCache(1024 * MIB);
  let held: number;
  const start = rssMiB();
  try {
    zeros([16 * MIB]).dispose(); // 64 MiB paged in, then free: kept resident for the next pass
    held = rssMiB();
    assert.ok(held - start >= 48, `64 MiB kept resident while held (${start.toFixed(0)} → ${held.toFixed(0)} MiB)`);
  } finally {
    release();
  }
  const after = rssMiB();
  assert.ok(held - after >= 48, `handed back on the last release (${held.toFixed(0)} → ${after.toFixed(0)} MiB)`);
});
