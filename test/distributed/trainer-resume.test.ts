// `finegrain train --nproc-per-node 2`: a data-parallel run killed with SIGKILL (launcher and
// workers) after its first checkpoint, then resumed with --resume, ends with exactly the
// weights and metrics of the uninterrupted data-parallel run (with synchronised BatchNorm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distributed, loadSafetensors } from '../../src/index.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { freePort } from './workers.js';

const CLI = join(process.cwd(), 'build/src/cli/main.js');
const skip = distributed.distributedBackends().gloo ? false : 'this addon was built without distributed support (libgloo-dev missing)';

/** Runs the CLI in its own process group (so the test can kill launcher and workers together). */
function cli(args: string[], deadlineMs: number) {
  const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  child.stdout!.resume();
  const killAll = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(killAll, deadlineMs);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { child, done, killAll };
}

const metricsOf = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('a data-parallel run killed with SIGKILL and resumed matches the uninterrupted one', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-dp-resume-'));
  try {
    await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12, seed: 5 });
    const flags = ['--data', join(dir, 'data'), '--out', join(dir, 'runs'), '--model', 'regnetx_002', '--image-size', '32', '--batch-size', '4'];
    flags.push('--epochs', '3', '--augment', 'trivialaugment', '--precision', 'float32', '--val-fraction', '0.25', '--lr', '0.05', '--quiet');
    flags.push('--drop-rate', '0.2', '--ema', '0.9', '--threads', '1', '--nproc-per-node', '2', '--sync-batch-norm');

    const straight = cli(['train', ...flags, '--name', 'straight', '--master-port', String(await freePort())], 240_000);
    const s = await straight.done;
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /data-parallel: rank 0 of 2/);
    assert.match(s.stderr, /\[rank 1\] data-parallel: rank 1 of 2/);
    assert.match(s.stderr, /synchronised \d+ BatchNorm layers over 2 ranks/);

    const killed = cli(['train', ...flags, '--name', 'killed', '--master-port', String(await freePort())], 240_000);
    const metrics = join(dir, 'runs/killed/metrics.jsonl');
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (existsSync(metrics) && readFileSync(metrics, 'utf8').trim().length > 0) {
          clearInterval(timer);
          killed.killAll();
          resolve();
        }
      }, 20);
      void killed.done.then(() => {
        clearInterval(timer);
        resolve();
      });
    });
    await killed.done;
    assert.ok(metricsOf(join(dir, 'runs/killed')).length < 3, 'the kill came too late to test resuming');

    const resumed = cli(['train', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--resume', join(dir, 'runs/killed')], 240_000);
    const r = await resumed.done;
    assert.equal(r.code, 0, r.stderr);

    const a = loadSafetensors(join(dir, 'runs/straight/checkpoints/last.safetensors'));
    const b = loadSafetensors(join(dir, 'runs/killed/checkpoints/last.safetensors'));
    try {
      assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
      for (const [k, t] of Object.entries(a.tensors)) assert.ok(t.equal(b.tensors[k]!), `${k} differs after resume`);
    } finally {
      for (const t of [...Object.values(a.tensors), ...Object.values(b.tensors)]) t.dispose();
    }
    const key = (m: { epoch: number; trainLoss: number; valAcc: number }[]) => m.map((x) => [x.epoch, x.trainLoss, x.valAcc]);
    assert.deepEqual(key(metricsOf(join(dir, 'runs/killed'))), key(metricsOf(join(dir, 'runs/straight'))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
