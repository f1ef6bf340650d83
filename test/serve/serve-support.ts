/**
 * What the serving and pipeline tests share: a tiny trained checkpoint (regnetx_002 at 32 px
 * on three colour classes, trained once per test run and reused from the temp folder), test
 * photos, and `startServer` — `finegrain serve` as a child process on 127.0.0.1 with a free
 * port, stopped by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

/** The browser tests' Chromium (Debian's, installed by the test set-up) and where they save screenshots. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url)); // build/test-artifacts
/** false, or why the browser tests skip. */
/** Debian's Chromium, headless, as the browser tests drive it (playwright-core). */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export const chromiumSkip: false | string = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

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

/** A parsed JSON answer; its shape is what the assertions check. */
type Json = any;
export interface Answer extends Response {
  json(): Promise<Json>;
}
export const post = (url: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) }) as Promise<Answer>;
export const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, signal: AbortSignal.timeout(30_000) }) as Promise<Answer>;

/**
 * The bad requests every runtime must refuse with its 4xx and a clear message: [name, send,
 * status, message pattern]. The server must run with --body-limit 200000.
 */
export async function badInputCases(url: string, fx: Fixture): Promise<[string, () => Promise<Answer>, number, RegExp][]> {
  const photo = readFileSync(fx.photos.class_1![0]!);
  const jpeg = await sharp(fx.photos.class_0![0]!).resize(400, 300).jpeg().toBuffer();
  const bomb = await pngDeclaring(50_000, 50_000);
  return [
    ['empty body', () => post(`${url}/v1/classify`, new Uint8Array(0), { 'content-type': 'image/jpeg' }), 400, /no image|empty/],
    [
      'a text file as an image',
      () => post(`${url}/v1/classify`, 'hello, I am text', { 'content-type': 'image/jpeg' }),
      400,
      /could not be decoded.*not-an-image/,
    ],
    [
      'a truncated JPEG',
      () => post(`${url}/v1/classify`, jpeg.subarray(0, Math.floor(jpeg.length / 2)), { 'content-type': 'image/jpeg' }),
      400,
      /truncated|premature|could not be decoded/,
    ],
    ['a PNG declaring 50,000 x 50,000 pixels', () => post(`${url}/v1/classify`, bomb, { 'content-type': 'image/png' }), 413, /pixel/],
    ['a body over the limit', () => post(`${url}/v1/classify`, Buffer.alloc(300_000, 1), { 'content-type': 'image/jpeg' }), 413, /over the limit/],
    ['a wrong content type', () => post(`${url}/v1/classify`, photo, { 'content-type': 'text/plain' }), 415, /send the image as/],
    ['malformed JSON', () => post(`${url}/v1/classify`, '{"image": "abc', { 'content-type': 'application/json' }), 400, /JSON/],
    ['malformed base64', () => post(`${url}/v1/classify`, JSON.stringify({ image: 'not base64 !!!' }), { 'content-type': 'application/json' }), 400, /base64/],
    ['JSON without an image', () => post(`${url}/v1/classify`, JSON.stringify({ picture: 'x' }), { 'content-type': 'application/json' }), 400, /image/],
    ['a multipart body without the image field', () => post(`${url}/v1/classify`, formWith('photo', photo)), 400, /'image'/],
    ['a bad top_k', () => post(`${url}/v1/classify?top_k=zero`, photo, { 'content-type': 'image/png' }), 400, /top_k/],
    ['an unknown route', () => get(`${url}/v1/nothing`), 404, /no route/],
  ];
}

function formWith(field: string, bytes: Buffer): FormData {
  const f = new FormData();
  f.append(field, new Blob([bytes], { type: 'image/png' }), 'x.png');
  return f;
}

/** A small PNG whose header declares `w` x `h` pixels (a decompression bomb's signature). */
async function pngDeclaring(w: number, h: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  // Fix the IHDR CRC so the decoder reads the header and refuses it for its size.
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
