/**
 * What the serving and pipeline tests share: a tiny trained checkpoint (regnetx_002 at 32 px
 * on three colour classes, trained once per test run and reused from the temp folder), test
 * photos, and `startServer` — `finegrain serve` as a child process on 127.0.0.1 with a free
 * port, stopped by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DIR = join(tmpdir(), `fg-serve-fixture-${process.getuid?.() ?? 0}-v1`);

export interface Fixture {
  checkpoint: string;
  classes: string[];
  /** Test photos per class (PNG files the model did not train on). */
  photos: Record<string, string[]>;
  dir: string;
}

let pending: Promise<Fixture> | null = null;

export function tinyFixture(): Promise<Fixture> {
  pending ??= (async () => {
    const checkpoint = join(DIR, 'runs/tiny/checkpoints/best.safetensors');
    const done = join(DIR, 'done');
    const classes = ['class_0', 'class_1', 'class_2'];
    if (!existsSync(done)) {
      mkdirSync(DIR, { recursive: true });
      await writeTinyDataset(join(DIR, 'train'), { classes: 3, perClass: 12, seed: 1 });
      await writeTinyDataset(join(DIR, 'test'), { classes: 3, perClass: 4, seed: 7, size: 48 });
      await train(
        {
          model: 'regnetx_002',
          imageSize: 32,
          batchSize: 8,
          workers: 2,
          epochs: 3,
          lr: 0.05,
          warmupEpochs: 0.5,
          augment: 'none',
          precision: 'float32',
          valFraction: 0.25,
          quiet: true,
          dropRate: 0,
          data: join(DIR, 'train'),
          out: join(DIR, 'runs'),
          name: 'tiny',
        },
        { log: () => {} },
      );
      writeFileSync(done, 'ok');
    }
    const photos = Object.fromEntries(classes.map((c) => [c, readdirSync(join(DIR, 'test', c)).map((f) => join(DIR, 'test', c, f))]));
    return { checkpoint, classes, photos, dir: DIR };
  })();
  return pending;
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `finegrain serve` on 127.0.0.1 (port 0: a free one) and waits for its ready line. */
export function startServer(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not become ready in time:\n${err}`));
    }, options.timeoutMs ?? 240_000);
    child.stdout!.on('data', () => {});
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          stderr: () => err,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
            const code = await exited;
            clearTimeout(t);
            return code;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${err}`));
    });
  });
}
