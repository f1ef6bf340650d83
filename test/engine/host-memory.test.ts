// The host-memory policy set when the addon loads (src/native/host-memory.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, releaseHostMemory, scope } from '../../src/index.js';
import { applyHostMemoryPolicy } from '../../src/native/host-memory.js';

test('the policy asks glibc for no mmap and a high trim threshold, and can be turned off', () => {
  const calls: [string, number][] = [];
  const fake = { mallopt: (name: string, value: number) => (calls.push([name, value]), true) };
  assert.equal(applyHostMemoryPolicy(fake as never, {}), true);
  assert.deepEqual(calls.map(([n]) => n), ['mmapMax', 'trimThreshold']);
  assert.equal(calls[0]![1], 0);
  assert.ok(calls[1]![1] >= 2 ** 30);
  calls.length = 0;
  assert.equal(applyHostMemoryPolicy(fake as never, { FINEGRAIN_HOST_MEMORY: 'system' }), false);
  assert.equal(calls.length, 0, 'system: glibc keeps its defaults');
  assert.throws(() => applyHostMemoryPolicy(fake as never, { FINEGRAIN_HOST_MEMORY: 'jemalloc' }), /cache.*system/);
  // Not glibc: mallopt answers null and the policy reports that it is not in effect.
  assert.equal(applyHostMemoryPolicy({ mallopt: () => null } as never, {}), false);
});

test('re-allocating large tensors no longer page-faults them in every time', (t) => {
  if (process.platform !== 'linux' || process.env.FINEGRAIN_HOST_MEMORY === 'system') return t.skip('glibc policy only');
  const step = () => scope(() => randn([8, 1024, 1024]).mul(2).sum().item()); // two 32 MiB tensors
  // The heap grows for the first steps until freed blocks fit the next allocations; then it is reused.
  for (let i = 0; i < 20; i++) step();
  const before = process.resourceUsage().minorPageFault;
  for (let i = 0; i < 5; i++) step();
  const faults = (process.resourceUsage().minorPageFault - before) / 5;
  // Fresh mmaps would fault in 2 x 8192 pages per step; reused heap memory faults almost none.
  assert.ok(faults < 2000, `${faults} page faults per step`);
  assert.notEqual(releaseHostMemory(), undefined);
});
