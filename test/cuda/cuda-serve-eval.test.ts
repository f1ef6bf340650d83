// CUDA-marked (run by scripts/device-check.sh; skipped without a GPU): the tiny fixture
// checkpoint evaluated and served on 'cuda' gives the CPU's answers - `finegrain eval --device
// cuda` the CPU's top-1, `finegrain serve --device cuda` the CPU classifier's label per photo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cuda } from '../../src/index.js';
import { classifier } from '../../src/pipeline/classifier.js';
import { runCli } from '../cli/cli-support.js';
import { get, post, startServer, tinyFixture, type Fixture, type RunningServer } from '../serve/serve-support.js';

const skip = cuda.isAvailable() ? false : 'no CUDA device (this addon or machine has none)';

let fx: Fixture;
let dir: string;
before(async () => {
  if (skip) return;
  fx = await tinyFixture();
  dir = mkdtempSync(join(tmpdir(), 'fg-cuda-eval-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('finegrain eval --device cuda reports the CPU top-1 (float32)', { skip, timeout: 240_000 }, () => {
  const report = (device: string) => {
    const json = join(dir, `${device}.json`);
    const r = runCli(['eval', '--checkpoint', fx.checkpoint, '--data', join(fx.dir, 'test'), '--device', device, '--precision', 'float32', '--json', json]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(readFileSync(json, 'utf8'));
  };
  const onGpu = report('cuda');
  const onCpu = report('cpu');
  assert.equal(onGpu.images, onCpu.images);
  assert.equal(onGpu.top1, onCpu.top1);
  assert.deepEqual(onGpu.confusedPairs, onCpu.confusedPairs);
});

test('finegrain serve --device cuda answers every fixture photo with the CPU label', { skip, timeout: 240_000 }, async () => {
  let server: RunningServer | undefined;
  const cpu = await classifier(fx.checkpoint, { device: 'cpu', precision: 'float32' });
  try {
    server = await startServer(['--checkpoint', fx.checkpoint, '--device', 'cuda', '--precision', 'float32', '--no-web']);
    const model = await (await get(`${server.url}/v1/model`)).json();
    assert.match(String(model.device), /^cuda/, 'the server reports where it runs');
    for (const photo of Object.values(fx.photos).flat()) {
      const bytes = readFileSync(photo);
      const r = await post(`${server.url}/v1/classify`, bytes, { 'content-type': 'image/png' });
      assert.equal(r.status, 200, photo);
      const answer = await r.json();
      const expected = (await cpu.classify(bytes)).predictions[0]!;
      assert.equal(answer.predictions[0].label, expected.label, photo);
      assert.ok(Math.abs(answer.predictions[0].score - expected.score) < 1e-3, `${photo}: score ${answer.predictions[0].score} vs ${expected.score}`);
    }
  } finally {
    cpu.dispose();
    if (server) assert.equal(await server.stop(), 0, server.stderr());
  }
});
