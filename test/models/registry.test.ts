// The registry and the classifier interface: names, options (classes, dropout, attention),
// feature access, classifier resets and pretrained loading from safetensors files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn, scope, noGrad, liveTensors, saveSafetensors } from '../../src/index.js';
import { createModel, listModels, modelInfo, ImageClassifier } from '../../src/models/index.js';
import { Dropout, withoutInit } from '../../src/nn/index.js';
import { assertClose } from '../support/assert-close.js';

const TORCHVISION = [
  'alexnet',
  'vgg11',
  'vgg11_bn',
  'vgg13',
  'vgg13_bn',
  'vgg16',
  'vgg16_bn',
  'vgg19',
  'vgg19_bn',
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'resnet152',
  'resnext50_32x4d',
  'wide_resnet50_2',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'mobilenet_v3_large',
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `efficientnet_b${i}`),
  ...['x', 'y'].flatMap((k) => ['400mf', '800mf', '1_6gf', '3_2gf', '8gf', '16gf', '32gf'].map((s) => `regnet_${k}_${s}`)),
  'regnet_y_128gf',
];
const TIMM = [
  'seresnet18',
  'seresnet34',
  'seresnet50',
  'skresnet18',
  'skresnet34',
  'skresnet50',
  'regnetx_002',
  'regnetx_320',
  'regnety_002',
  'regnety_160',
  'regnety_1280',
];

test('listModels has every torchvision and timm variant of the first families', () => {
  const all = listModels();
  for (const name of [...TORCHVISION, ...TIMM]) assert.ok(all.includes(name), name);
  assert.deepEqual(listModels(/^efficientnet_b[0-3]$/), ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3']);
  assert.ok(listModels('regnet_y').every((n) => n.startsWith('regnet_y')));
  assert.deepEqual(modelInfo('efficientnet_b3'), { name: 'efficientnet_b3', family: 'efficientnet', source: 'torchvision', inputSize: [3, 300, 300] });
  assert.equal(modelInfo('regnety_160').source, 'timm');
  assert.throws(() => createModel('resnet51'), /unknown model 'resnet51'; did you mean one of: .*resnet50/);
});

test('every model: features, embedding, head and forward fit together', () => {
  const base = liveTensors();
  for (const name of [
    'alexnet',
    'vgg11_bn',
    'resnet18',
    'skresnet18',
    'mobilenet_v2',
    'mobilenet_v3_small',
    'efficientnet_b0',
    'regnet_x_400mf',
    'regnety_002',
  ]) {
    const m = createModel(name, { numClasses: 5 }).eval();
    scope(() => {
      const x = randn([2, 3, 64, 64]);
      const features = noGrad(() => m.forwardFeatures(x));
      assert.equal(features.ndim, 4, name);
      const emb = noGrad(() => m.forwardEmbedding(x));
      assert.deepEqual(emb.shape, [2, m.numFeatures], name);
      const logits = noGrad(() => m.forward(x));
      assert.deepEqual(logits.shape, [2, 5], name);
      assertClose(
        noGrad(() => m.forwardHead(emb)),
        logits,
        { rtol: 1e-6, message: name },
      );
      assert.ok(
        m
          .getSubmodule(m.classifierPath)
          .stateEntries()
          .some(([k]) => k === 'weight'),
        `${name}: classifierPath`,
      );
    });
    m.dispose();
  }
  assert.equal(liveTensors(), base, 'models and passes free everything');
});

test('numClasses, dropRate and resetClassifier', () => {
  const m = createModel('efficientnet_b0', { numClasses: 7, dropRate: 0.35 });
  const drop = m.getSubmodule('classifier.0') as Dropout;
  assert.equal(drop.p, 0.35);
  m.resetClassifier(3, { dropRate: 0.1 });
  assert.equal(drop.p, 0.1);
  assert.equal(m.numClasses, 3);
  const keys = m.stateEntries().map(([k]) => k);
  assert.deepEqual(keys.slice(-2), ['classifier.1.weight', 'classifier.1.bias']);
  assert.deepEqual(
    scope(() => m.stateDict()['classifier.1.weight']!.shape),
    [3, 1280],
  );
  m.dispose();

  // ResNet has no dropout module: the rate applies functionally before fc, in training only
  const r = createModel('resnet18', { numClasses: 4, dropRate: 0.5 });
  scope(() => {
    const emb = randn([64, 512]);
    r.eval();
    const evalOut = r.forwardHead(emb);
    assertClose(r.forwardHead(emb), evalOut, { rtol: 0 });
    r.train();
    const a = r.forwardHead(emb);
    assert.ok(!a.allclose(evalOut), 'dropout active while training');
  });
  r.resetClassifier(0);
  scope(() => assert.deepEqual(r.eval().forward(randn([1, 3, 32, 32])).shape, [1, 512]));
  r.dispose();

  const head = createModel('mobilenet_v3_large', { numClasses: 0 });
  assert.equal(head.numFeatures, 1280);
  scope(() => assert.deepEqual(head.eval().forward(randn([1, 3, 32, 32])).shape, [1, 1280]));
  head.dispose();
});

test('attention option: SE / GE / CBAM inside ResNet blocks, SK replaces the 3x3 convolution', () => {
  const keys = (name: string, attention: 'se' | 'ge' | 'cbam' | 'sk') => {
    const m = withoutInit(() => createModel(name, { attention }));
    const k = m.stateEntries().map(([key]) => key);
    m.dispose();
    return k;
  };
  assert.ok(keys('resnet50', 'se').includes('layer3.5.se.fc2.weight'));
  assert.ok(keys('resnet18', 'ge').includes('layer1.1.se.mlp.fc1.weight'));
  assert.ok(keys('resnet34', 'cbam').includes('layer2.0.se.spatial.conv.conv.weight'));
  const sk = keys('resnext50_32x4d', 'sk');
  assert.ok(sk.includes('layer1.0.conv2.paths.1.conv.weight') && sk.includes('layer1.0.conv1.conv.weight'));
  assert.deepEqual(keys('resnet50', 'se'), keys('seresnet50', 'se'));
  const m = createModel('resnet18', { attention: 'cbam', numClasses: 3 });
  scope(() => assert.deepEqual(m.forward(randn([2, 3, 32, 32])).shape, [2, 3]));
  m.dispose();
  assert.throws(() => createModel('vgg11', { attention: 'se' }), /does not take an attention option/);
  assert.throws(() => createModel('resnet18', { attention: 'eca' as never }), /unknown attention 'eca'/);
});

test('pretrained: loads a safetensors state dict; a new label set re-initialises only the classifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-pretrained-'));
  try {
    const file = join(dir, 'regnet.safetensors');
    const source = createModel('regnet_y_400mf', { numClasses: 10 }).eval();
    scope(() => saveSafetensors(file, source.stateDict()));
    const x = scope(() => randn([2, 3, 32, 32]).keep());
    const same = createModel('regnet_y_400mf', { numClasses: 10, pretrained: file }).eval();
    scope(() => assertClose(same.forward(x), source.forward(x), { rtol: 0, atol: 0 }));
    const other = createModel('regnet_y_400mf', { numClasses: 3, pretrained: file }).eval();
    scope(() => {
      assertClose(other.forwardEmbedding(x), source.forwardEmbedding(x), { rtol: 0, atol: 0 });
      const w = other.stateDict()['fc.weight']!;
      assert.deepEqual(w.shape, [3, 440]);
      assert.ok(w.isfinite().all().item() && w.abs().max().item() > 0, 'the new classifier is initialised');
    });
    const headless = createModel('regnet_y_400mf', { numClasses: 0, pretrained: file }).eval();
    scope(() => assertClose(headless.forward(x), source.forwardEmbedding(x), { rtol: 0, atol: 0 }));
    assert.throws(
      () => createModel('regnet_x_400mf', { pretrained: file }),
      /does not fit regnet_x_400mf \(1000 classes\): .*missing keys: .*shape mismatches/,
    );
    for (const m of [source, same, other, headless]) m.dispose();
    x.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createModel returns ImageClassifiers with their default input sizes', () => {
  for (const [name, size] of [
    ['efficientnet_b7', 600],
    ['resnet50', 224],
    ['regnety_160', 224],
  ] as const) {
    const m = withoutInit(() => createModel(name));
    assert.ok(m instanceof ImageClassifier);
    assert.deepEqual(m.defaultInputSize, [3, size, size]);
    m.dispose();
  }
  assert.throws(() => createModel('resnet18', { numClasses: -1 }), /numClasses must be a non-negative integer/);
});
