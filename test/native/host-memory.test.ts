// Training's host-memory policy (src/native/host-memory.ts, cacheHostMemory in src/runtime.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheHostMemory, randn, scope } from '../../src/index.js';
import { setHostMemoryCache } from '../../src/native/host-memory.js';

function fakeNative(answer: boolean | null = true) {
  const calls: string[] = [];
  return {
    calls,
    mallopt: (name: string, value: number) => (calls.push(`${name}=${value}`), answer),
    mallocTrim: () => (calls.push('trim'), answer),
  };
}

test("on: no mmap and a high trim threshold; off: glibc's defaults and a trim; system: untouched", () => {
  const on = fakeNative();
  assert.equal(setHostMemoryCache(on as never, true, {}), true);
  assert.deepEqual(on.calls, ['mmapMax=0', `trimThreshold=${2 ** 31 - 1}`]);
  const off = fakeNative();
  assert.equal(setHostMemoryCache(off as never, false, {}), false);
  assert.deepEqual(off.calls, ['mmapMax=65536', `trimThreshold=${128 * 1024}`, 'trim']);
  const system = fakeNative();
  assert.equal(setHostMemoryCache(system as never, true, { FINEGRAIN_HOST_MEMORY: 'system' }), false);
  assert.deepEqual(system.calls, []);
  assert.throws(() => setHostMemoryCache(fakeNative() as never, true, { FINEGRAIN_HOST_MEMORY: 'jemalloc' }), /cache.*system/);
  assert.equal(setHostMemoryCache(fakeNative(null) as never, true, {}), false, 'not glibc: not in effect');
});

/** Minor page faults per step of a loop that makes and frees two 32 MiB tensors, after warm-up steps. */
function faultsPerStep(): number {
  const step = () => scope(() => randn([8, 1024, 1024]).mul(2).sum().item());
  // With the cache, the heap grows for the first steps until freed blocks fit the next allocations.
  for (let i = 0; i < 20; i++) step();
  const before = process.resourceUsage().minorPageFault;
  for (let i = 0; i < 5; i++) step();
  return (process.resourceUsage().minorPageFault - before) / 5;
}

test('with the cache on, a training-like loop stops page-faulting its tensors in; off, glibc maps them afresh', (t) => {
  if (process.platform !== 'linux' || process.env.FINEGRAIN_HOST_MEMORY === 'system') return t.skip('glibc policy only');
  const without = faultsPerStep();
  assert.ok(cacheHostMemory(true));
  let cached: number;
  try {
    cached = faultsPerStep();
  } finally {
    cacheHostMemory(false);
  }
  // Calls nest: the cache stays on until the last holder turns it off.
  assert.equal(cacheHostMemory(true), true);
  assert.equal(cacheHostMemory(true), true);
  assert.equal(cacheHostMemory(false), true, 'one holder left');
  assert.equal(cacheHostMemory(false), false);
  assert.equal(cacheHostMemory(false), false, 'an extra off is harmless');
  // Fresh mmaps fault in 2 x 8192 pages per step; reused heap memory faults almost none.
  assert.ok(without > 8000, `glibc's defaults: ${without} page faults per step`);
  assert.ok(cached < 2000, `cache on: ${cached} page faults per step`);
});
