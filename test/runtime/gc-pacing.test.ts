// The serving threads' paced minor collections (src/runtime/gc-pacing.ts): they run while the
// thread works and not while it idles, free dead ArrayBuffers, leave no global `gc` behind, and
// 0 hands the schedule back to V8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { paceGarbageCollection } from '../../src/runtime/gc-pacing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a pacer collects the young generation while the thread works, not while it idles', async () => {
  const minor: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const pacer = paceGarbageCollection(10);
  try {
    await sleep(60);
    assert.equal(pacer.collections, 0, 'idle: nothing collected');
    for (let i = 0; i < 5; i++) {
      pacer.noteWork();
      await sleep(20);
    }
    assert.ok(pacer.collections >= 3, `working: ${pacer.collections} collections`);
    await sleep(30);
    assert.ok(minor.length >= 3, `V8 saw ${minor.length} minor collections`);
  } finally {
    pacer.stop();
    obs.disconnect();
  }
  const after = pacer.collections;
  pacer.noteWork();
  await sleep(40);
  assert.equal(pacer.collections, after, 'stopped');
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'no global gc left behind');
});

test('dead ArrayBuffers go back at the next paced collection', async () => {
  const pacer = paceGarbageCollection(10);
  try {
    await sleep(20);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 20; i++) new Uint8Array(1 << 20).fill(1); // 20 MiB, dead at once
    assert.ok(process.memoryUsage().arrayBuffers - before >= 15 * 2 ** 20, 'held until a collection');
    pacer.noteWork();
    await sleep(60);
    assert.ok(process.memoryUsage().arrayBuffers - before < 5 * 2 ** 20, `${(process.memoryUsage().arrayBuffers - before) / 2 ** 20} MiB still held`);
  } finally {
    pacer.stop();
  }
});

test('0 leaves the schedule to V8; a negative interval is an error', () => {
  const off = paceGarbageCollection(0);
  off.noteWork();
  assert.equal(off.collections, 0);
  off.stop();
  assert.throws(() => paceGarbageCollection(-1), /gcIntervalMs must be a number of ms >= 0/);
});
