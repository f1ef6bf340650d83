import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePretrained } from '../../src/hub/index.js';
import { payload, sha256, startFakeHub, timmRepo, withHubEnv, type FakeHub } from './hub-support.js';

let hub: FakeHub;
before(async () => {
  hub = await startFakeHub();
});
after(async () => {
  await hub.close();
});

const HUB_INDEX = fileURLToPath(new URL('../../src/hub/index.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node` on a small script that resolves `spec` (progress on, so a wait on the lock is reported); killed after `ms`. */
function resolveInChild(dir: string, spec: string, ms: number): Promise<Run> {
  const script = join(dir, 'resolve-child.mjs');
  writeFileSync(
    script,
    `const { resolvePretrained } = await import(${JSON.stringify(HUB_INDEX)});\n` +
      `const src = await resolvePretrained(process.argv[2], { progress: true });\n` +
      `process.stdout.write(JSON.stringify(src));\n`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, spec], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('two processes resolving the same file at once: both succeed, one download, a sound cache', { timeout: 30_000 }, async () => {
  const weights = payload(500_000, 21);
  const repo = timmRepo('regnety_016', weights);
  hub.repos.set('timm/regnety_016.race', repo);
  await withHubEnv(hub, {}, async (env) => {
    hub.log.length = 0;
    hub.faults.slowPieces = 25; // ~1.5 s of download: the second process arrives while the first holds the lock
    try {
      const [a, b] = await Promise.all([
        resolveInChild(env.dir, 'hf-hub:timm/regnety_016.race', 20_000),
        resolveInChild(env.dir, 'hf-hub:timm/regnety_016.race', 20_000),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const fa = JSON.parse(a.stdout).file as string;
      assert.equal(JSON.parse(b.stdout).file, fa);
      assert.ok(readFileSync(fa).equals(weights));
      const gets = hub.log.filter((r) => r.server === 'storage' && r.method === 'GET');
      assert.equal(gets.length, 1, 'one download of the weights');
      assert.ok(/waiting for the download by process \d+/.test(a.stderr + b.stderr), `one process waited on the lock:\n${a.stderr}\n${b.stderr}`);
      const repoDir = join(env.hubCache, 'models--timm--regnety_016.race');
      assert.deepEqual(
        readdirSync(join(repoDir, 'blobs')).filter((f) => !/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(f)),
        [],
        'no .incomplete or temp file left',
      );
      assert.ok(lstatSync(fa).isSymbolicLink());
      assert.deepEqual(readdirSync(join(env.hubCache, '.locks', 'models--timm--regnety_016.race')), [], 'locks released');
    } finally {
      delete hub.faults.slowPieces;
    }
  });
});

test('a lock left by a dead process, or not refreshed for minutes, is taken over', { timeout: 20_000 }, async () => {
  const weights = payload(20_000, 22);
  hub.repos.set('timm/skresnet18.stale', timmRepo('skresnet18', weights));
  await withHubEnv(hub, {}, async (env) => {
    const locks = join(env.hubCache, '.locks', 'models--timm--skresnet18.stale');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, `${sha256(weights)}.finegrain.lock`);
    // A pid that has certainly exited: a child we ran to completion.
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.on('close', () => resolve(c.pid!));
    });
    writeFileSync(lock, `${dead} ${hostname()} x\n`);
    const src = await resolvePretrained('hf-hub:timm/skresnet18.stale', { progress: false });
    assert.ok(readFileSync(src.file).equals(weights));
    assert.ok(!existsSync(lock));

    // A live pid (ours) on another host, silent for two minutes: its holder is gone.
    const weights2 = payload(20_000, 23);
    hub.repos.set('timm/skresnet34.stale', timmRepo('skresnet34', weights2));
    const locks2 = join(env.hubCache, '.locks', 'models--timm--skresnet34.stale');
    mkdirSync(locks2, { recursive: true });
    const lock2 = join(locks2, `${sha256(weights2)}.finegrain.lock`);
    writeFileSync(lock2, `${process.pid} another-host x\n`);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock2, old, old);
    const src2 = await resolvePretrained('hf-hub:timm/skresnet34.stale', { progress: false });
    assert.ok(readFileSync(src2.file).equals(weights2));
  });
});

test('a fresh lock held by a live process is waited for, not broken', { timeout: 20_000 }, async () => {
  const weights = payload(20_000, 24);
  hub.repos.set('timm/seresnet18.held', timmRepo('seresnet18', weights));
  await withHubEnv(hub, {}, async (env) => {
    const locks = join(env.hubCache, '.locks', 'models--timm--seresnet18.held');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, `${sha256(weights)}.finegrain.lock`);
    writeFileSync(lock, `${process.pid} ${hostname()} someone-else\n`);
    let done = false;
    const pending = resolvePretrained('hf-hub:timm/seresnet18.held', { progress: false }).then((s) => {
      done = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(done, false, 'still waiting while the lock is held');
    // The holder "finishes": removing its lock lets the waiter through.
    unlinkSync(lock);
    const src = await pending;
    assert.ok(readFileSync(src.file).equals(weights));
  });
});
