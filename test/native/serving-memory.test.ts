// The serving process's glibc policy (src/native/serving-memory.ts): what it asks of glibc,
// what leaves it alone, and that the real addon accepts both parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capServingMemory, SERVING_ARENAS, SERVING_MMAP_THRESHOLD } from '../../src/native/serving-memory.js';
import { native } from '../../src/native/binding.js';

function recorder(result: boolean | null = true) {
  const calls: [string, number][] = [];
  return { calls, native: { mallopt: (name: string, value: number) => (calls.push([name, value]), result) } };
}

test('serving caps the arenas and fixes the mmap threshold; MALLOC_ARENA_MAX and FINEGRAIN_HOST_MEMORY=system win', () => {
  const a = recorder();
  assert.deepEqual(capServingMemory(a.native, {}), { arenas: SERVING_ARENAS, mmapThreshold: SERVING_MMAP_THRESHOLD });
  assert.deepEqual(a.calls, [
    ['mmapThreshold', SERVING_MMAP_THRESHOLD],
    ['arenaMax', SERVING_ARENAS],
  ]);
  const b = recorder();
  assert.deepEqual(capServingMemory(b.native, { MALLOC_ARENA_MAX: '4' }), { arenas: null, mmapThreshold: SERVING_MMAP_THRESHOLD });
  assert.deepEqual(b.calls, [['mmapThreshold', SERVING_MMAP_THRESHOLD]], "the user's arena setting is left as it is");
  const c = recorder();
  assert.equal(capServingMemory(c.native, { FINEGRAIN_HOST_MEMORY: 'system' }), 'system');
  assert.deepEqual(c.calls, []);
  assert.equal(capServingMemory(recorder(null).native, {}), 'not glibc');
});

test('glibc accepts both parameters from the addon', () => {
  assert.equal(native.mallopt('arenaMax', 8), true);
  assert.equal(native.mallopt('mmapThreshold', SERVING_MMAP_THRESHOLD), true);
  assert.throws(() => native.mallopt('nonsense' as 'arenaMax', 1), /unknown parameter 'nonsense'/);
});
