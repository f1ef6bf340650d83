/**
 * `finegrain serve --runtime onnx` over a real socket on 127.0.0.1: a file written by
 * `finegrain export` answers the same API with the libtorch classifier's top classes, without
 * the native addon in the process (its mapped libraries), refuses attention with a clear 400,
 * serves its own file at /v1/model.onnx, and refuses every bad input of api.test.ts with the
 * same 4xx. Bounded: every request has a timeout and the server is stopped.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifier, type Classifier } from '../../src/pipeline/classifier.js';
import { badInputCases, get, post, startServer, tinyFixture, type Fixture, type RunningServer } from './serve-support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });

let fx: Fixture;
let server: RunningServer;
let clf: Classifier;
let dir: string;
let model: string;

before(async () => {
  fx = await tinyFixture();
  dir = mkdtempSync(join(tmpdir(), 'fg-serve-onnx-'));
  model = join(dir, 'tiny.onnx');
  const exported = cli('export', '--checkpoint', fx.checkpoint, '--out', model);
  assert.equal(exported.status, 0, exported.stderr);
  server = await startServer(['--runtime', 'onnx', '--checkpoint', model, '--threads', '1', '--body-limit', '200000', '--max-pixels', '20000000']);
  clf = await classifier(fx.checkpoint, { precision: 'float32' });
});

after(async () => {
  clf?.dispose();
  if (server) assert.equal(await server.stop(), 0, server.stderr());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the ONNX server loads no libtorch, answers with the libtorch top-1 on every fixture photo, and serves its file', async () => {
  const maps = readFileSync(`/proc/${server.child.pid}/maps`, 'utf8');
  assert.match(maps, /onnxruntime/, 'the maps are the server process (ONNX Runtime is loaded)');
  assert.doesNotMatch(maps, /libtorch|libc10|finegrain\.node/, 'no native addon, no libtorch');
  const info = await (await get(`${server.url}/v1/model`)).json();
  assert.equal(info.runtime, 'onnx');
  assert.equal(info.attention_method, null);
  assert.deepEqual(info.classes, fx.classes);
  assert.equal(info.preprocess.decode_side, 37);
  for (const c of fx.classes) {
    for (const p of fx.photos[c]!) {
      const bytes = readFileSync(p);
      const r = await (await post(`${server.url}/v1/classify?top_k=3`, bytes, { 'content-type': 'image/png' })).json();
      const local = await clf.classify(bytes, { topK: 3 });
      assert.equal(r.predictions[0].label, local.predictions[0]!.label, p);
      assert.ok(Math.abs(r.predictions[0].score - local.predictions[0]!.score) < 1e-4, p);
      assert.equal(r.unknown.is_unknown, local.unknown.isUnknown);
      assert.equal(r.model.checkpoint_hash, info.checkpoint_hash);
    }
  }
  const photo = readFileSync(fx.photos.class_1![0]!);
  const v = await (await post(`${server.url}/v1/verify?claimed=class_1`, photo, { 'content-type': 'image/png' })).json();
  assert.equal(v.decision, (await clf.verify(photo, 'class_1')).decision);
  const a = await post(`${server.url}/v1/classify?attention=true`, photo, { 'content-type': 'image/png' });
  assert.equal(a.status, 400);
  const body = await a.json();
  assert.equal(body.error, 'attention_unavailable');
  assert.match(body.message, /not available with --runtime onnx/);
  const file = await get(`${server.url}/v1/model.onnx`);
  assert.equal(file.status, 200);
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), new Uint8Array(readFileSync(model)));
  assert.equal((await get(`${server.url}/v1/model.onnx`, { 'if-none-match': file.headers.get('etag')! })).status, 304);
});

test('bad inputs against the ONNX runtime: each gets its 4xx with a clear message, and the server keeps serving', async () => {
  const photo = readFileSync(fx.photos.class_1![0]!);
  const expected = (await clf.classify(photo)).predictions[0]!.label;
  for (const [name, send, status, message] of await badInputCases(server.url, fx)) {
    const r = await send();
    const body = await r.json();
    assert.equal(r.status, status, `${name}: ${JSON.stringify(body)}`);
    assert.match(body.message, message, name);
    const ok = await post(`${server.url}/v1/classify`, photo, { 'content-type': 'image/png' });
    assert.equal(ok.status, 200, 'the server still serves');
    assert.equal((await ok.json()).predictions[0].label, expected);
  }
});

test('--runtime onnx refuses what it cannot do with one-line usage errors', () => {
  for (const [args, message] of [
    [['--checkpoint', fx.checkpoint], /is a checkpoint; export it first/],
    [['--checkpoint', model, '--tta', 'flips'], /--tta.*not available with --runtime onnx/],
    [['--checkpoint', model, '--checkpoint', model], /serves one file/],
    [['--checkpoint', join(dir, 'missing.onnx')], /model file not found/],
  ] as const) {
    const r = cli('serve', '--runtime', 'onnx', '--port', '0', ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  const bad = cli('serve', '--runtime', 'tensorflow', '--checkpoint', model);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--runtime must be libtorch or onnx/);
});
