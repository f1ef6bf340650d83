import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPretrainedNames, resolvePretrained, resolvePretrainedCached, torchvisionWeights } from '../../src/hub/index.js';
import { TORCHVISION_WEIGHTS } from '../../src/hub/torchvision-weights.js';
import { listModels, modelInfo } from '../../src/models/registry.js';
import { resizeSide } from '../../src/models/preprocess-config.js';
import { payload, rejectsWith, sha256, startFakeHub, withHubEnv, type FakeHub } from './hub-support.js';

let hub: FakeHub;
before(async () => {
  hub = await startFakeHub();
});
after(async () => {
  await hub.close();
});

test('torchvision name -> URL on the download host; the file-name hash prefix is checked before caching', { timeout: 20_000 }, async () => {
  // Bytes that cannot hash to 11ad3fa6…: the download must be rejected, and nothing cached.
  hub.models.set('resnet50-11ad3fa6.pth', payload(10_000, 31));
  await withHubEnv(hub, {}, async (env) => {
    hub.log.length = 0;
    const e = await rejectsWith(resolvePretrained('torchvision:resnet50.IMAGENET1K_V2', { progress: false }), 'INTEGRITY');
    assert.match(e.message, /prefix 11ad3fa6/);
    assert.deepEqual(
      hub.log.map((r) => `${r.method} ${r.path}`),
      ['GET /models/resnet50-11ad3fa6.pth'],
    );
    assert.deepEqual(existsSync(env.checkpoints) ? readdirSync(env.checkpoints) : [], [], 'not cached, no partial file kept');
    // The bare name is torchvision's DEFAULT, which for resnet50 is IMAGENET1K_V2.
    hub.log.length = 0;
    await rejectsWith(resolvePretrained('torchvision:resnet50', { progress: false }), 'INTEGRITY');
    assert.equal(hub.log[0]!.path, '/models/resnet50-11ad3fa6.pth');
    hub.log.length = 0;
    await rejectsWith(resolvePretrained('torchvision:resnet50.IMAGENET1K_V1', { progress: false }), 'NOT_FOUND');
    assert.equal(hub.log[0]!.path, '/models/resnet50-0676ba61.pth');
  });
});

test("a torchvision file already in torch hub's checkpoints folder is used as it is, with the table's preprocessing", { timeout: 20_000 }, async () => {
  await withHubEnv(hub, {}, async (env) => {
    mkdirSync(env.checkpoints, { recursive: true });
    writeFileSync(join(env.checkpoints, 'resnet50-11ad3fa6.pth'), 'as PyTorch left it');
    hub.log.length = 0;
    const src = await resolvePretrained('torchvision:resnet50.IMAGENET1K_V2', { progress: false });
    assert.equal(hub.log.length, 0);
    assert.equal(src.file, join(env.checkpoints, 'resnet50-11ad3fa6.pth'));
    assert.equal(src.architecture, 'resnet50');
    assert.equal(src.interpolation, 'bilinear');
    assert.equal(src.numClasses, 1000);
    // torchvision 0.14: ResNet50_Weights.IMAGENET1K_V2 = resize 232, crop 224, bilinear, ImageNet mean/std.
    assert.equal(src.preprocess?.inputSize, 224);
    assert.equal(resizeSide(src.preprocess!), 232);
    assert.deepEqual(src.preprocess?.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(src.preprocess?.std, [0.229, 0.224, 0.225]);
    assert.deepEqual(resolvePretrainedCached('torchvision:resnet50.IMAGENET1K_V2'), src);
    assert.deepEqual(resolvePretrainedCached('torchvision:resnet50.DEFAULT').file, src.file);
    // TORCH_HOME moves the folder, as in torch.hub.
    process.env.TORCH_HOME = join(env.dir, 'elsewhere');
    assert.equal(resolvePretrainedCached('torchvision:resnet50', { cacheDir: env.checkpoints }).file, src.file);
  });
});

test('the table holds torchvision 0.14 facts for the odd cases', () => {
  const b3 = torchvisionWeights('efficientnet_b3');
  assert.deepEqual([b3.file, b3.resize, b3.crop, b3.interpolation], ['efficientnet_b3_rwightman-cf984f9c.pth', 320, 300, 'bicubic']);
  assert.deepEqual(torchvisionWeights('inception_v3').modelOptions, { transformInput: true });
  assert.equal(torchvisionWeights('inception_v3').crop, 299);
  assert.deepEqual(torchvisionWeights('vit_b_16', 'IMAGENET1K_SWAG_E2E_V1').modelOptions, { imageSize: 384 });
  const features = torchvisionWeights('vgg16', 'IMAGENET1K_FEATURES');
  assert.equal(features.numClasses, undefined);
  assert.deepEqual(features.mean, [0.48235, 0.45882, 0.40784]);
  assert.equal(torchvisionWeights('regnet_y_128gf').weights, 'IMAGENET1K_SWAG_E2E_V1');
  // crop / resize round-trips to torchvision's resize for every row (resizeSide floors).
  for (const r of TORCHVISION_WEIGHTS) assert.equal(Math.floor(r.crop / (r.crop / r.resize)), r.resize, `${r.arch}.${r.weights}`);
});

test('listPretrainedNames covers every finegrain architecture torchvision has weights for, and each name resolves', () => {
  const names = listPretrainedNames();
  const torchvisionModels = listModels().filter((n) => modelInfo(n).source === 'torchvision');
  assert.ok(torchvisionModels.length >= 50);
  for (const m of torchvisionModels) assert.ok(names.includes(`torchvision:${m}`), `torchvision:${m} is listed`);
  for (const name of names) {
    const [arch, weights] = name.slice('torchvision:'.length).split('.');
    assert.ok(listModels().includes(arch!), `${name}: ${arch} is a finegrain model`);
    const row = torchvisionWeights(arch!, weights);
    assert.equal(row.arch, arch);
    if (weights) assert.equal(row.weights, weights);
  }
  assert.ok(names.includes('torchvision:resnet50.IMAGENET1K_V2') && names.includes('torchvision:vit_l_16.IMAGENET1K_SWAG_E2E_V1'));
});

test("the table matches torchvision's own weight enums (when Python has torchvision)", { timeout: 120_000 }, (t) => {
  const script = `
import json, torchvision.models as M
out = []
for arch in json.loads(input()):
    enum = M.get_model_weights(arch)
    for w in enum:
        tr = w.transforms()
        cats = w.meta.get("categories")
        out.append([arch, w.name, w.url.rsplit("/", 1)[1], tr.resize_size[0], tr.crop_size[0], tr.interpolation.value,
                    list(tr.mean), list(tr.std), None if cats is None else len(cats), enum.DEFAULT == w])
print(json.dumps(out))
`;
  const archs = [...new Set(TORCHVISION_WEIGHTS.map((r) => r.arch))];
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: `${JSON.stringify(archs)}\n`, encoding: 'utf8', timeout: 110_000 });
  if (r.status !== 0) {
    t.skip(`no torchvision for /usr/bin/python3: ${(r.error?.message ?? r.stderr).split('\n').filter(Boolean).pop()}`);
    return;
  }
  const expected = JSON.parse(r.stdout) as unknown[];
  const ours = TORCHVISION_WEIGHTS.map((w) => [
    w.arch,
    w.weights,
    w.file,
    w.resize,
    w.crop,
    w.interpolation,
    w.mean ?? [0.485, 0.456, 0.406],
    w.std ?? [0.229, 0.224, 0.225],
    w.numClasses ?? null,
    w.isDefault === true,
  ]);
  assert.deepEqual(ours, expected);
});

test('a plain URL is cached under its file name in the checkpoints folder; a hash prefix in the name is checked', { timeout: 20_000 }, async () => {
  const bytes = payload(70_000, 32);
  const name = `custom_net-${sha256(bytes).slice(0, 10)}.pth`;
  hub.models.set(name, bytes);
  hub.models.set('plain.bin', bytes);
  hub.models.set('liar-0123abcd.pth', bytes);
  await withHubEnv(hub, {}, async (env) => {
    hub.log.length = 0;
    const src = await resolvePretrained(`${hub.url}/models/${name}`, { progress: false });
    assert.equal(src.file, join(env.checkpoints, name));
    assert.ok(readFileSync(src.file).equals(bytes));
    assert.equal(src.architecture, undefined);
    const n = hub.log.length;
    await resolvePretrained(`${hub.url}/models/${name}`, { progress: false });
    assert.equal(hub.log.length, n, 'cached: no request');
    assert.ok(readFileSync((await resolvePretrained(`${hub.url}/models/plain.bin`, { progress: false })).file).equals(bytes), 'no prefix, no check');
    await rejectsWith(resolvePretrained(`${hub.url}/models/liar-0123abcd.pth`, { progress: false }), 'INTEGRITY');
    assert.ok(!existsSync(join(env.checkpoints, 'liar-0123abcd.pth')) && !existsSync(join(env.checkpoints, 'liar-0123abcd.pth.incomplete')));
    // cacheDir overrides the folder.
    const other = join(env.dir, 'other');
    assert.equal((await resolvePretrained(`${hub.url}/models/${name}`, { progress: false, cacheDir: other })).file, join(other, name));
  });
});
