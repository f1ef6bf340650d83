/**
 * Test doubles for the weights hub: a real HTTP server on 127.0.0.1 laid out like the
 * Hugging Face hub (`/<org>/<repo>/resolve/<rev>/<file>`, HEAD and GET, `X-Repo-Commit`,
 * `ETag`, `X-Linked-Etag`, `X-Linked-Size`, a 302 for LFS files to a second server standing
 * for the storage host, `Range`), the same server answering like torchvision's download host
 * (`/models/<name>-<sha256 prefix>.pth`), and a tiny forward proxy. Every request is logged so
 * tests can count them; faults (a cut connection, Range ignored, wrong bytes) are switches.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightsError, type WeightsErrorCode } from '../../src/hub/index.js';

export interface LoggedRequest {
  server: 'hub' | 'storage' | 'proxy';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface RepoFile {
  bytes: Buffer;
  /** LFS files answer HEAD with a 302 to the storage server and X-Linked-Etag = sha256. */
  lfs: boolean;
}

export interface FakeRepo {
  commit: string;
  /** Branch and tag names that resolve to `commit` (a commit hash always does). */
  refs: string[];
  files: Map<string, RepoFile>;
  /** A token the repository requires (gated/private): without it 401, with another 403. */
  token?: string;
}

export interface Faults {
  /** Close the connection after this many body bytes of the next `cutTimes` (default 1) LFS/torchvision GETs. */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Answer 200 with the whole file even when Range is asked for. */
  ignoreRange?: boolean;
  /** Serve altered bytes (the advertised hash stays the real one): LFS/torchvision files, or git files (config.json). */
  tamper?: 'lfs' | 'git';
  /** Send LFS/torchvision bodies in this many pieces, 60 ms apart (to make downloads overlap). */
  slowPieces?: number;
}

export interface FakeHub {
  /** Base URL of the hub (HF_ENDPOINT). */
  url: string;
  /** Base URL of the storage host (another port: another origin). */
  storageUrl: string;
  repos: Map<string, FakeRepo>;
  /** torchvision-style files served at /models/<name>. */
  models: Map<string, Buffer>;
  log: LoggedRequest[];
  faults: Faults;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const gitBlobId = (b: Buffer): string =>
  createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]))
    .digest('hex');

/** Deterministic pseudo-random bytes (a stand-in for weights: transport is what is tested). */
export function payload(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function commitOf(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** A timm-style repository: config.json in git, the weights (and optionally more) in LFS. */
export function timmRepo(architecture: string, weights: Buffer, options: { weightsName?: string; token?: string; extra?: object } = {}): FakeRepo {
  const config = {
    architecture,
    num_classes: 3,
    label_names: ['sparrow', 'finch', 'wren'],
    pretrained_cfg: { input_size: [3, 256, 256], interpolation: 'bicubic', crop_pct: 0.95, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    ...options.extra,
  };
  const files = new Map<string, RepoFile>([
    ['config.json', { bytes: Buffer.from(JSON.stringify(config, null, 2)), lfs: false }],
    [options.weightsName ?? 'model.safetensors', { bytes: weights, lfs: true }],
  ]);
  return { commit: commitOf(architecture + weights.length), refs: ['main'], files, token: options.token };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

/** Serves `bytes` for a GET (honouring Range unless told not to) or the headers for a HEAD, with the faults. */
async function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Buffer,
  faults: Faults,
  kind: 'lfs' | 'git',
  extra: Record<string, string> = {},
): Promise<void> {
  const body = faults.tamper === kind ? Buffer.from(bytes.map((b) => b ^ 0xff)) : bytes;
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range && !faults.ignoreRange) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}`, ...extra });
      res.end();
      return;
    }
    res.writeHead(206, { 'content-length': String(body.length - start), 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, ...extra });
  } else {
    res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes', ...extra });
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let rest = body.subarray(start);
  if (kind === 'lfs' && faults.cutAfterBytes !== undefined && (faults.cutTimes ?? 1) > 0) {
    faults.cutTimes = (faults.cutTimes ?? 1) - 1;
    const n = Math.max(0, faults.cutAfterBytes - start);
    res.write(rest.subarray(0, n));
    // Let the bytes leave, then drop the connection mid-body (Content-Length promised more).
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  const pieces = kind === 'lfs' ? (faults.slowPieces ?? 1) : 1;
  const step = Math.ceil(rest.length / pieces);
  while (rest.length > step) {
    res.write(rest.subarray(0, step));
    rest = rest.subarray(step);
    await new Promise((r) => setTimeout(r, 60));
  }
  res.end(rest);
}

/** Starts the fake hub + storage host; `close()` stops both (call it in `after`). */
export async function startFakeHub(): Promise<FakeHub> {
  const repos = new Map<string, FakeRepo>();
  const models = new Map<string, Buffer>();
  const log: LoggedRequest[] = [];
  const faults: Faults = {};
  const blobs = new Map<string, Buffer>();

  const storage = createServer((req, res) => {
    log.push({ server: 'storage', method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const bytes = blobs.get((req.url ?? '').replace(/^\/lfs\//, '').replace(/\?.*$/, ''));
    if (!bytes) {
      res.writeHead(404).end();
      return;
    }
    void serveBytes(req, res, bytes, faults, 'lfs');
  });
  const storageSockets = track(storage);
  const storageUrl = await listen(storage);

  const hub = createServer((req, res) => {
    log.push({ server: 'hub', method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const path = decodeURIComponent((req.url ?? '').replace(/\?.*$/, ''));
    const model = /^\/models\/([^/]+)$/.exec(path);
    if (model) {
      const bytes = models.get(model[1]!);
      if (!bytes) res.writeHead(404).end();
      else void serveBytes(req, res, bytes, faults, 'lfs');
      return;
    }
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, repoId, rev, file] = m as unknown as [string, string, string, string];
    const repo = repos.get(repoId);
    const auth = req.headers.authorization;
    if (!repo || (repo.token && !auth)) {
      // A missing repository is 404; a private one asked for without a token is 401 RepoNotFound, as the hub answers.
      res.writeHead(repo ? 401 : 404, { 'x-error-code': 'RepoNotFound' }).end();
      return;
    }
    if (repo.token && auth !== `Bearer ${repo.token}`) {
      res.writeHead(403, { 'x-error-code': 'GatedRepo' }).end();
      return;
    }
    if (rev !== repo.commit && !repo.refs.includes(rev)) {
      res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end();
      return;
    }
    const entry = repo.files.get(file);
    const common = { 'x-repo-commit': repo.commit };
    if (!entry) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', ...common }).end();
      return;
    }
    if (entry.lfs) {
      const digest = sha256(entry.bytes);
      blobs.set(digest, entry.bytes);
      res.writeHead(302, {
        location: `${storageUrl}/lfs/${digest}?signature=abc`,
        'x-linked-etag': `"${digest}"`,
        'x-linked-size': String(entry.bytes.length),
        etag: `"${gitBlobId(Buffer.from('pointer'))}"`,
        ...common,
      });
      res.end();
      return;
    }
    void serveBytes(req, res, entry.bytes, faults, 'git', { etag: `"${gitBlobId(entry.bytes)}"`, ...common });
  });
  const hubSockets = track(hub);
  const url = await listen(hub);

  return {
    url,
    storageUrl,
    repos,
    models,
    log,
    faults,
    close: async () => {
      await closeServer(hub, hubSockets);
      await closeServer(storage, storageSockets);
    },
  };
}

export interface FakeProxy {
  url: string;
  /** Targets the proxy was asked for (CONNECT host:port, or the absolute URL of a plain request). */
  used: string[];
  close(): Promise<void>;
}

/** A forward proxy: CONNECT tunnels (undici's default) and absolute-form plain requests. */
export async function startFakeProxy(): Promise<FakeProxy> {
  const used: string[] = [];
  const server = createServer((req, res) => {
    used.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    used.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  const sockets = track(server);
  const url = await listen(server);
  return { url, used, close: () => closeServer(server, sockets) };
}

/** Every variable the hub reads, so a test starts from a known environment. */
const HUB_VARS = [
  'HF_HUB_CACHE',
  'HUGGINGFACE_HUB_CACHE',
  'HF_HOME',
  'HF_ENDPOINT',
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
  'HF_TOKEN_PATH',
  'HF_HUB_OFFLINE',
  'TRANSFORMERS_OFFLINE',
  'FINEGRAIN_OFFLINE',
  'FINEGRAIN_TORCHVISION_URL',
  'TORCH_HOME',
  'XDG_CACHE_HOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

export interface TestEnv {
  dir: string;
  hubCache: string;
  checkpoints: string;
}

/**
 * Runs `fn` with the hub's variables set for `hub` (fresh caches under a temp dir, no proxy,
 * no token, online) plus `overrides`, then restores the environment and removes the dir.
 */
export async function withHubEnv<T>(hub: FakeHub | undefined, overrides: Record<string, string | undefined>, fn: (env: TestEnv) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'finegrain-hub-'));
  const saved = new Map(HUB_VARS.map((k) => [k, process.env[k]]));
  for (const k of Object.keys(overrides)) if (!saved.has(k)) saved.set(k, process.env[k]);
  const env: TestEnv = { dir, hubCache: join(dir, 'hf', 'hub'), checkpoints: join(dir, 'torch', 'hub', 'checkpoints') };
  const values: Record<string, string | undefined> = {
    HF_HOME: join(dir, 'hf'),
    TORCH_HOME: join(dir, 'torch'),
    XDG_CACHE_HOME: join(dir, 'xdg'),
    HF_ENDPOINT: hub?.url,
    FINEGRAIN_TORCHVISION_URL: hub ? `${hub.url}/models/` : undefined,
    ...overrides,
  };
  for (const k of HUB_VARS) delete process.env[k];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn(env);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts a promise rejects with a WeightsError of this code and returns it. */
export async function rejectsWith(p: Promise<unknown>, code: WeightsErrorCode): Promise<WeightsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WeightsError, `expected a WeightsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `wrong code: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `the message should be one line: ${e.message}`);
    return e;
  }
  assert.fail(`expected a WeightsError ${code}, nothing was thrown`);
}

/** The same for a synchronous call. */
export function throwsWith(fn: () => unknown, code: WeightsErrorCode): WeightsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WeightsError, `expected a WeightsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `wrong code: ${e.message}`);
    return e;
  }
  assert.fail(`expected a WeightsError ${code}, nothing was thrown`);
}
