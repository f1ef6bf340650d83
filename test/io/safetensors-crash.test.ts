// A process killed with SIGKILL while saving must leave the old file or the new one,
// never a partial file. A child saves a large tensor; the parent watches the temp file
// grow and kills the child mid-write, then checks the target completely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, SafetensorsError, saveSafetensors, scope, full } from '../../src/index.js';
import { tempDir } from './safetensors-support.js';

const CHILD = fileURLToPath(new URL('./fixtures/save-child.js', import.meta.url));
const MIB = 64;

interface Round {
  /** The size of the file being written when the kill was sent (undefined: it was not seen mid-write). */
  killedAt?: number;
  exit: number | null;
}

/**
 * Runs the child and kills it once the file it writes (`watch` picks it from the directory)
 * holds more than `fraction` but not all of its bytes; `delayMs` instead kills at a fixed
 * time after "ready" (Infinity: never).
 */
async function killMidSave(
  dir: string,
  target: string,
  fill: number,
  mode: 'atomic' | 'naive',
  watch: (names: string[]) => string | undefined,
  delayMs?: number,
  fraction = 0,
): Promise<Round> {
  const child = spawn(process.execPath, [CHILD, target, String(MIB), String(fill), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', () => reject(new Error('child exited before it was ready')));
  });
  const total = MIB * 1024 * 1024;
  let killedAt: number | undefined;
  const deadline = Date.now() + 20_000;
  if (delayMs === Infinity) {
    // no kill
  } else if (delayMs !== undefined) {
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGKILL');
  } else {
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      const name = watch(readdirSync(dir));
      let size = 0;
      try {
        size = name ? statSync(`${dir}/${name}`).size : 0;
      } catch {
        // renamed or removed between the listing and the stat
      }
      if (size > fraction * total && size < total) {
        child.kill('SIGKILL');
        killedAt = size;
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGKILL');
  }
  return { killedAt, exit: await exited };
}

/** The target holds exactly the old file, or a complete new one with every value right. */
function checkTarget(target: string, old: Buffer, fill: number): 'old' | 'new' {
  const now = readFileSync(target);
  if (now.equals(old)) return 'old';
  return scope(() => {
    const { tensors, metadata } = loadSafetensors(target);
    assert.equal(metadata.fill, String(fill));
    const big = tensors.big!;
    assert.equal(big.numel, MIB * 256 * 1024);
    assert.equal(big.min().item(), fill);
    assert.equal(big.max().item(), fill);
    assert.equal(tensors.tail!.min().item(), fill);
    return 'new' as const;
  });
}

test('kill -9 during saveSafetensors leaves the old file or the new one', { timeout: 120_000 }, async (t) => {
  const { dir, path, cleanup } = tempDir('fg-st-kill-');
  try {
    const target = path('ckpt.safetensors');
    scope(() => saveSafetensors(target, { big: full([4], 1) }, { fill: '1' }));
    const isTemp = (n: string) => n.startsWith('.ckpt.safetensors.') && n.endsWith('.tmp');
    const seen: string[] = [];
    let midWrite = 0;
    // Kills timed by watching the temp file, kills at fixed delays that land in other phases
    // (opening, writing, fsync, rename), and one save left to finish (Infinity).
    const plans: { delayMs?: number; fraction?: number }[] = [
      { fraction: 0 },
      { fraction: 0 },
      { delayMs: 20 },
      { delayMs: 150 },
      { delayMs: 300 },
      { delayMs: Infinity },
    ];
    for (let i = 0; i < plans.length; i++) {
      const old = readFileSync(target);
      const fill = i + 2;
      const { delayMs, fraction } = plans[i]!;
      const round = await killMidSave(dir, target, fill, 'atomic', (names) => names.find(isTemp), delayMs, fraction);
      const state = checkTarget(target, old, fill);
      if (round.killedAt !== undefined && state === 'old') midWrite++;
      seen.push(
        `${delayMs === undefined ? 'watched' : `${delayMs}ms`}: ${state}${round.killedAt !== undefined ? ` (killed at ${(round.killedAt / 2 ** 20).toFixed(1)} MiB)` : ''}`,
      );
    }
    t.diagnostic(seen.join('; '));
    assert.ok(midWrite >= 1, `no kill landed mid-write, so the test proved nothing: ${seen.join('; ')}`);
    assert.ok(seen.at(-1)!.endsWith('new'), 'the save left to finish must have replaced the file');
    // A killed save leaves at most a stray temp file, which does not get in the way of the next save.
    scope(() => {
      saveSafetensors(target, { big: full([2], 9) }, { fill: '9' });
      assert.deepEqual(loadSafetensors(target).tensors.big!.toArray(), [9, 9]);
    });
  } finally {
    cleanup();
  }
});

test('control: the same kill against an in-place writer is caught as a partial file', { timeout: 120_000 }, async (t) => {
  const { dir, path, cleanup } = tempDir('fg-st-kill-');
  try {
    const target = path('naive.safetensors');
    let caught = false;
    for (let attempt = 0; attempt < 4 && !caught; attempt++) {
      scope(() => saveSafetensors(target, { big: full([4], 1) }, { fill: '1' }));
      const old = readFileSync(target);
      const round = await killMidSave(dir, target, 5, 'naive', (names) => names.find((n) => n === 'naive.safetensors'));
      if (round.killedAt === undefined || statSync(target).size === old.byteLength) continue;
      // The check above must refuse what an in-place writer leaves behind.
      assert.throws(
        () => checkTarget(target, old, 5),
        (e) => e instanceof SafetensorsError || e instanceof assert.AssertionError,
      );
      caught = true;
    }
    // Landing a kill mid-write is a matter of timing; on a very busy machine it may not happen.
    if (!caught) t.skip('inconclusive: no kill landed mid-write in 4 attempts (machine busy)');
  } finally {
    cleanup();
  }
});
