// scripts/device-check.sh on a machine without a GPU (CI, the development machines): it must
// build, run its CPU checks, pass, and say which CUDA parts it skipped - so the script that the
// GPU machine runs is known to work before device time is spent on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cuda, distributed } from '../../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url)); // build/test/cuda -> the repository
const skip = cuda.isAvailable()
  ? 'this machine has CUDA: scripts/device-check.sh runs the GPU parts there (run it directly)'
  : !distributed.distributedBackends().gloo
    ? 'this addon was built without distributed support: the CPU checks would fail for that reason'
    : false;

test('scripts/device-check.sh on CPU: builds, passes its CPU checks, lists what it skipped', { skip, timeout: 300_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'fg-device-check-'));
  try {
    const r = spawnSync('bash', [join(root, 'scripts/device-check.sh')], {
      cwd: root,
      env: { ...process.env, OUT: out },
      encoding: 'utf8',
      timeout: 280_000,
    });
    const summary = readFileSync(join(out, 'summary.txt'), 'utf8');
    assert.equal(r.status, 0, `${summary}\n${r.stderr}`);
    assert.match(summary, /^ok {6}build-native/m);
    assert.match(summary, /^ok {6}test-cpu/m);
    assert.match(summary, /^SKIPPED CUDA tests .*no CUDA device/m);
    assert.doesNotMatch(summary, /^(FAILED|TIMEOUT)/m);
    const caps = JSON.parse(readFileSync(join(out, 'capabilities.json'), 'utf8'));
    assert.equal(caps.cuda, false);
    assert.equal(caps.distributed.gloo, true);
    // The CPU checks really ran: their log holds the collectives' and GradScaler's tests.
    const log = readFileSync(join(out, 'test-cpu.log'), 'utf8');
    assert.match(log, /allReduce, broadcast, allGather and barrier/);
    assert.match(log, /# fail 0/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
