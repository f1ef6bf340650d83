/**
 * What bench/serve's parts share: a random mobilenet_v2 checkpoint with N classes, the photos,
 * a server as a child process that is ready when its stderr says so, resident memory from
 * /proc, and autocannon's load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { createModel } from '../../src/models/registry.js';
import { IMAGENET_MEAN, IMAGENET_STD, imagenetPreprocess } from '../../src/models/preprocess-config.js';
import { saveCheckpoint } from '../../src/models/checkpoint/checkpoint.js';

/** A mobilenet_v2 checkpoint with `classes` outputs (random weights: throughput does not care). */
export function makeCheckpoint(work: string, classes: number): string {
  const path = join(work, `mobilenet_v2-${classes}.safetensors`);
  const model = createModel('mobilenet_v2', { numClasses: classes });
  const names = Array.from({ length: classes }, (_, i) => `series ${String(i).padStart(4, '0')}`);
  saveCheckpoint(path, {
    model,
    meta: {
      model: 'mobilenet_v2',
      modelOptions: {},
      classes: names,
      imageSize: 224,
      preprocess: imagenetPreprocess(224),
      mean: [...IMAGENET_MEAN],
      std: [...IMAGENET_STD],
      epoch: 0,
      step: 0,
    },
  });
  model.dispose();
  return path;
}

export async function photos(dir: string): Promise<Buffer[]> {
  if (existsSync(dir)) {
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && /\.jpe?g$/i.test(d.name))
      .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
      .sort()
      .slice(0, 32);
    if (files.length) return files.map((p) => readFileSync(p));
  }
  // No photo folder: 32 synthetic 512x384 JPEGs.
  return Promise.all(
    Array.from({ length: 32 }, (_, i) =>
      sharp({ create: { width: 512, height: 384, channels: 3, background: { r: (i * 37) % 255, g: (i * 91) % 255, b: (i * 53) % 255 } } })
        .jpeg({ quality: 88 })
        .toBuffer(),
    ),
  );
}

export interface Proc {
  child: ChildProcess;
  url: string;
  /** What the process has written to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export function startProcess(cmd: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 180 s:\n${err}`)), 180_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          stderr: () => err,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.on('exit', () => r());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready:\n${err}`));
    });
  });
}

/** Resident set size now and at its peak (VmHWM), MiB, from /proc. */
export function rss(pid: number): { now: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export async function load(url: string, bodies: Buffer[], connections: number, options: { duration?: number; amount?: number }): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/classify`,
    connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration }),
    timeout: 60,
    requests: bodies.map((body) => ({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'image/jpeg' }, body })),
  });
}
