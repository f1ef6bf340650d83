// Weights by name, end to end: a PyTorch checkpoint published on a hub (the test's own server
// on 127.0.0.1, laid out like huggingface.co) or at a plain URL becomes a working model in one
// awaited call, with the hub's preprocessing and class names; afterwards the cache serves the
// synchronous createModel and the CLI offline, and a name for the wrong architecture is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fromPretrained, loadSafetensors, noGrad, pretrainedOptions, scope, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose } from '../support/assert-close.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { startFakeHub, timmRepo, withHubEnv, type FakeHub } from './hub-support.js';
import { train } from '../../src/train/trainer.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

const skip = oracleSkip();
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = promisify(execFile);
let hub: FakeHub;
let pth: Buffer;
let x: Tensor;
let y: Tensor;
const dir = mkdtempSync(join(tmpdir(), 'fg-hub-model-'));

before(async () => {
  hub = await startFakeHub();
  if (skip) return;
  const o = torchOracle(`
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=3)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 2.0)
    torch.save(m.state_dict(), ${JSON.stringify(join(dir, 'r18.pth'))})
    m.eval()
    outputs['x'] = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        outputs['y'] = m(outputs['x'])
  `);
  x = o.x!.keep();
  y = o.y!.keep();
  pth = readFileSync(join(dir, 'r18.pth'));
  // A timm-style repository holding only pytorch_model.bin (older repositories do).
  hub.repos.set('birds/resnet18', timmRepo('resnet18', pth, { weightsName: 'pytorch_model.bin' }));
  hub.models.set(`r18-${createHash('sha256').update(pth).digest('hex').slice(0, 8)}.pth`, pth);
});
after(async () => {
  await hub.close();
  x?.dispose();
  y?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('fromPretrained: an hf-hub repository with pytorch_model.bin gives the model, its preprocessing and classes', { skip }, async () => {
  await withHubEnv(hub, {}, async () => {
    const { model, preprocess, classNames, source } = await fromPretrained('hf-hub:birds/resnet18');
    try {
      assert.equal(source.architecture, 'resnet18');
      assert.match(source.file, /pytorch_model\.bin$/);
      assert.deepEqual(classNames, ['sparrow', 'finch', 'wren']);
      assert.equal(preprocess.inputSize, 256);
      assert.equal(preprocess.cropFraction, 0.95);
      assert.deepEqual(preprocess.mean, [0.5, 0.5, 0.5]);
      scope(() =>
        assertClose(
          noGrad(() => model.forward(x)),
          y,
          { rtol: 1e-5, atol: 0, message: 'hub weights vs PyTorch' },
        ),
      );
    } finally {
      model.dispose();
    }
    const requests = hub.log.length;
    // The cache now answers synchronously, with a new head for fine-tuning, and nothing is asked of the hub.
    const tuned = createModel('resnet18', { numClasses: 5, ...pretrainedOptions('hf-hub:birds/resnet18', 'resnet18') });
    assert.equal(tuned.numClasses, 5);
    tuned.dispose();
    const again = await fromPretrained('hf-hub:birds/resnet18', { numClasses: 4 });
    assert.equal(again.model.numClasses, 4);
    assert.equal(again.classNames, undefined, 'a new head has no class names');
    again.model.dispose();
    assert.equal(hub.log.length, requests, 'no request once cached');
    assert.throws(() => pretrainedOptions('hf-hub:birds/resnet18', 'resnet50'), /holds weights for resnet18, not resnet50/);

    // The CLI, offline, converts from the cache; a name not cached fails naming what to download.
    const env = { ...process.env, HF_HUB_OFFLINE: '1' };
    const out = join(dir, 'from-hub.safetensors');
    const converted = await run(process.execPath, [MAIN, 'convert', 'hf-hub:birds/resnet18', out], { env, timeout: 60_000 });
    assert.match(converted.stdout, /wrote .*from-hub\.safetensors: 122 tensors/);
    scope(() => {
      const { tensors } = loadSafetensors(out);
      assert.deepEqual(tensors['fc.weight']!.shape, [3, 512]);
    });
    await assert.rejects(
      run(process.execPath, [MAIN, 'convert', 'hf-hub:birds/missing', out], { env, timeout: 60_000 }),
      (e: Error & { stderr?: string; code?: number }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr!, /birds\/missing/);
        return true;
      },
    );
  });
});

test('fromPretrained: a plain URL needs the architecture, checks the hash in its name, and loads', { skip }, async () => {
  await withHubEnv(hub, {}, async (env) => {
    const name = [...hub.models.keys()].find((k) => k.startsWith('r18-'))!;
    const url = `${hub.url}/models/${name}`;
    await assert.rejects(fromPretrained(url), /does not say which architecture/);
    const { model, source } = await fromPretrained(url, { model: 'resnet18' });
    try {
      assert.equal(source.file, join(env.checkpoints, name));
      scope(() =>
        assertClose(
          noGrad(() => model.forward(x)),
          y,
          { rtol: 1e-5, atol: 0, message: 'URL weights vs PyTorch' },
        ),
      );
    } finally {
      model.dispose();
    }
  });
});

test('train starts from an hf-hub name: weights fetched once, the hub normalisation kept in the checkpoint', { skip }, async () => {
  await withHubEnv(hub, {}, async (env) => {
    await writeTinyDataset(join(env.dir, 'data'), { classes: 3, perClass: 8 });
    const base = {
      data: join(env.dir, 'data'),
      out: join(env.dir, 'runs'),
      imageSize: 32,
      batchSize: 8,
      workers: 1,
      epochs: 1,
      augment: 'none',
      precision: 'float32',
      quiet: true,
    } as const;
    const lines: string[] = [];
    const result = await train({ ...base, model: 'resnet18', pretrained: 'hf-hub:birds/resnet18', name: 'hub' }, { log: (l) => lines.push(l) });
    assert.ok(
      lines.some((l) => /pretrained weights hf-hub:birds\/resnet18: .*pytorch_model\.bin/.test(l)),
      lines.join('\n'),
    );
    const meta = JSON.parse(readFileSync(join(result.runDir, 'checkpoints/last.json'), 'utf8'));
    assert.deepEqual(meta.preprocess.mean, [0.5, 0.5, 0.5], 'the hub config normalisation');
    await assert.rejects(
      train({ ...base, model: 'resnet50', pretrained: 'hf-hub:birds/resnet18', name: 'wrong' }, { log: () => {} }),
      /holds weights for resnet18, not --model resnet50/,
    );
  });
});
