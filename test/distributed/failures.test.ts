// Failures become clear errors within the timeout, never hangs: a peer killed with SIGKILL,
// a rendezvous port already taken, a rank that never arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { distributed } from '../../src/index.js';
import { freePort, runWorkers, startWorkers } from './workers.js';

const skip = distributed.distributedBackends().gloo ? false : 'this addon was built without distributed support (libgloo-dev missing)';

test('a worker killed with SIGKILL makes the other exit with an error naming its rank, within the timeout', { skip, timeout: 90_000 }, async () => {
  const port = await freePort();
  const timeoutMs = 15_000;
  const running = startWorkers(2, ['hang-after-ready'], { port, deadlineMs: 80_000, env: { FG_TEST_TIMEOUT_MS: String(timeoutMs) } });
  try {
    await Promise.race([running.printed(1, 'ready'), running.done]);
    const killedAt = Date.now();
    running.children[1]!.kill('SIGKILL');
    const [survivor, killed] = await running.done;
    assert.equal(killed!.signal, 'SIGKILL');
    assert.equal(survivor!.code, 1, survivor!.stderr);
    assert.match(survivor!.stderr, /rank 0 of 2 \(gloo\): allreduce failed/);
    const afterKill = Date.now() - killedAt;
    assert.ok(afterKill < timeoutMs + 10_000, `the survivor took ${afterKill} ms after the kill`);
  } finally {
    for (const c of running.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

test('a worker killed with SIGKILL during backward (gradient reducer) makes the other fail with a clear error', { skip, timeout: 90_000 }, async () => {
  const port = await freePort();
  const timeoutMs = 15_000;
  const running = startWorkers(2, ['train', '100000', '8'], { port, deadlineMs: 80_000, env: { FG_TEST_TIMEOUT_MS: String(timeoutMs) } });
  try {
    await Promise.race([running.printed(1, 'ready'), running.done]);
    const killedAt = Date.now();
    running.children[1]!.kill('SIGKILL');
    const [survivor] = await running.done;
    assert.equal(survivor!.code, 1, survivor!.stderr);
    // The failure surfaces in backward, or in the next step's prepare (which syncs bucket order).
    assert.match(survivor!.stderr, /rank 0 of 2 \(gloo\): (backward with the )?gradient all-reduce failed/);
    assert.ok(Date.now() - killedAt < timeoutMs + 10_000, `the survivor took ${Date.now() - killedAt} ms after the kill`);
  } finally {
    for (const c of running.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

test('a rendezvous port already in use is a clear error on rank 0', { skip, timeout: 60_000 }, async () => {
  const blocker = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  try {
    const [r] = await runWorkers(1, ['init-only'], { port, deadlineMs: 50_000, worldSize: 2, env: { FG_TEST_TIMEOUT_MS: '10000' } });
    assert.equal(r!.code, 1, r!.stdout + r!.stderr);
    assert.match(r!.stderr, /rank 0 of 2 \(gloo\): rendezvous through the tcp store at 127\.0\.0\.1:\d+ failed/);
    assert.match(r!.stderr, /another process using that port/);
  } finally {
    blocker.close();
  }
});

test('a rank that never arrives is a timeout error, not a hang', { skip, timeout: 60_000 }, async () => {
  const port = await freePort();
  const [r] = await runWorkers(1, ['init-only'], { port, deadlineMs: 50_000, worldSize: 2, env: { FG_TEST_TIMEOUT_MS: '4000' } });
  assert.equal(r!.code, 1, r!.stdout + r!.stderr);
  assert.match(r!.stderr, /rank 0 of 2 \(gloo\): rendezvous .* failed/);
  assert.ok(r!.ms < 30_000, `took ${r!.ms} ms`);
});
