import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMM_ARCHITECTURES, resolvePretrained, timmToFinegrain } from '../../src/hub/index.js';
import { listModels, modelInfo } from '../../src/models/registry.js';
import { payload, rejectsWith, startFakeHub, timmRepo, withHubEnv, type FakeHub } from './hub-support.js';

let hub: FakeHub;
before(async () => {
  hub = await startFakeHub();
});
after(async () => {
  await hub.close();
});

test('every mapping row names a finegrain model whose state-dict source fits the row', () => {
  const models = new Set(listModels());
  const timmLayout = new Set([
    'resnet18',
    'resnet34',
    'resnet50',
    'resnet101',
    'resnet152',
    'resnext50_32x4d',
    'wide_resnet50_2',
    'densenet121',
    'densenet161',
    'densenet169',
    'densenet201',
    'inception_v3',
  ]);
  for (const row of TIMM_ARCHITECTURES) {
    assert.ok(models.has(row.finegrain), `${row.timm} -> ${row.finegrain}: not a finegrain model`);
    // Rows onto torchvision-layout models are the reviewed few whose timm key names equal torchvision's.
    const source = modelInfo(row.finegrain).source;
    if (source === 'torchvision') assert.ok(timmLayout.has(row.finegrain), `${row.timm} -> ${row.finegrain} (torchvision layout) is not a reviewed row`);
    else assert.equal(row.timm, row.finegrain, `timm-sourced finegrain models take their own timm name`);
  }
  // …and every timm-sourced finegrain model takes hub weights under its own name.
  for (const name of listModels().filter((n) => modelInfo(n).source === 'timm')) assert.equal(timmToFinegrain(name), name);
  assert.equal(new Set(TIMM_ARCHITECTURES.map((r) => r.timm)).size, TIMM_ARCHITECTURES.length, 'no timm name twice');
});

test('an architecture finegrain cannot take is refused by name, before the weights are downloaded', { timeout: 20_000 }, async () => {
  hub.repos.set('timm/vit_base_patch32_224.augreg_in21k', timmRepo('vit_base_patch32_224', payload(5000, 41)));
  hub.repos.set('timm/fancynet.x', timmRepo('fancynet_9000', payload(5000, 42)));
  hub.repos.set('timm/convnext_tiny.fb_in1k', timmRepo('convnext_tiny', payload(5000, 43)));
  await withHubEnv(hub, {}, async () => {
    hub.log.length = 0;
    let e = await rejectsWith(resolvePretrained('hf-hub:timm/vit_base_patch32_224.augreg_in21k', { progress: false }), 'UNSUPPORTED_ARCHITECTURE');
    assert.match(e.message, /'vit_base_patch32_224'/);
    assert.match(e.message, /vit_b_16/);
    e = await rejectsWith(resolvePretrained('hf-hub:timm/fancynet.x', { progress: false }), 'UNSUPPORTED_ARCHITECTURE');
    assert.match(e.message, /'fancynet_9000'/);
    assert.match(e.message, /resnet50, resnet101/, 'lists what finegrain takes');
    e = await rejectsWith(resolvePretrained('hf-hub:timm/convnext_tiny.fb_in1k', { progress: false }), 'UNSUPPORTED_ARCHITECTURE');
    assert.match(e.message, /torchvision:convnext_tiny/);
    assert.equal(hub.log.filter((r) => r.server === 'storage').length, 0, 'no weights were downloaded');
  });
});

test('mapped architectures resolve to the finegrain name; a repository without an architecture resolves without one', { timeout: 20_000 }, async () => {
  hub.repos.set('timm/resnext50_32x4d.a1h_in1k', timmRepo('resnext50_32x4d', payload(3000, 44)));
  hub.repos.set('timm/tv_resnet50.old', timmRepo('tv_resnet50', payload(3000, 45)));
  const bare = timmRepo('x', payload(3000, 46), { extra: { architecture: undefined } });
  hub.repos.set('someone/finetuned', bare);
  await withHubEnv(hub, {}, async () => {
    assert.equal((await resolvePretrained('hf-hub:timm/resnext50_32x4d.a1h_in1k', { progress: false })).architecture, 'resnext50_32x4d');
    assert.equal((await resolvePretrained('hf-hub:timm/tv_resnet50.old', { progress: false })).architecture, 'resnet50');
    const src = await resolvePretrained('hf-hub:someone/finetuned', { progress: false });
    assert.equal(src.architecture, undefined);
    assert.equal(src.numClasses, 3);
  });
});
