// The module system: registration and traversal order, state dicts (PyTorch key names and
// order, int64 batch counters, strict and non-strict loading), freezing, parameter groups,
// modes, conversion and memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, zeros, ones, scope, liveTensors, noGrad, tensor, type Tensor } from '../../src/index.js';
import {
  Module,
  Sequential,
  ModuleList,
  Conv2d,
  BatchNorm2d,
  Linear,
  ReLU,
  Dropout,
  Identity,
  Flatten,
  AdaptiveAvgPool2d,
  parameterGroups,
  withoutInit,
  init,
} from '../../src/nn/index.js';
import { createModel } from '../../src/models/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';

/** A small ResNet-like block with the registration order of torchvision's BasicBlock. */
class Block extends Module {
  declare readonly conv1: Conv2d;
  declare readonly bn1: BatchNorm2d;
  declare readonly downsample: Sequential;
  declare readonly scale: Tensor;
  constructor() {
    super();
    this.registerModule('conv1', new Conv2d(3, 4, 3, { padding: 1, bias: false }));
    this.registerModule('bn1', new BatchNorm2d(4));
    this.registerModule('downsample', new Sequential([new Conv2d(3, 4, 1, { bias: false }), new BatchNorm2d(4)]));
    this.registerParameter('scale', ones([1]));
    this.registerBuffer('cache', zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return scope(() => this.bn1.forward(this.conv1.forward(x)).add(this.downsample.forward(x)).mul(this.scale));
  }
}

const net = () =>
  new Sequential([
    ['stem', new Block()],
    ['head', new Sequential([new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 3)])],
  ]);

test('state-dict keys and order follow PyTorch: own parameters, own buffers, then submodules', () => {
  const m = net();
  const keys = Object.keys(scope(() => m.stateDict()));
  assert.deepEqual(keys, [
    'stem.scale',
    'stem.conv1.weight',
    'stem.bn1.weight',
    'stem.bn1.bias',
    'stem.bn1.running_mean',
    'stem.bn1.running_var',
    'stem.bn1.num_batches_tracked',
    'stem.downsample.0.weight',
    'stem.downsample.1.weight',
    'stem.downsample.1.bias',
    'stem.downsample.1.running_mean',
    'stem.downsample.1.running_var',
    'stem.downsample.1.num_batches_tracked',
    'head.2.weight',
    'head.2.bias',
  ]);
  // the non-persistent buffer is a buffer but not state
  assert.ok(m.namedBuffers().some(([k]) => k === 'stem.cache'));
  assert.deepEqual(
    m.namedParameters().map(([k]) => k),
    [
      'stem.scale',
      'stem.conv1.weight',
      'stem.bn1.weight',
      'stem.bn1.bias',
      'stem.downsample.0.weight',
      'stem.downsample.1.weight',
      'stem.downsample.1.bias',
      'head.2.weight',
      'head.2.bias',
    ],
  );
  assert.deepEqual(
    m.namedModules().map(([k]) => k),
    ['', 'stem', 'stem.conv1', 'stem.bn1', 'stem.downsample', 'stem.downsample.0', 'stem.downsample.1', 'head', 'head.0', 'head.1', 'head.2'],
  );
  const nbt = scope(() => m.stateDict()['stem.bn1.num_batches_tracked']!.keep());
  assert.equal(nbt.dtype, 'int64');
  assert.deepEqual(nbt.shape, []);
  nbt.dispose();
  m.dispose();
});

test("state-dict keys and order equal torchvision's for real architectures", { skip: oracleSkip() }, () => {
  const names = ['resnet18', 'mobilenet_v3_small', 'efficientnet_b0', 'regnet_y_400mf', 'vgg11_bn'];
  const code = names
    .map(
      (n) =>
        `outputs['${n}'] = torch.tensor(list(json.dumps(list(torchvision.models.get_model('${n}', weights=None).state_dict().keys())).encode()), dtype=torch.uint8)`,
    )
    .join('\n');
  const ref = torchOracle(code);
  for (const n of names) {
    const theirs = JSON.parse(Buffer.from(ref[n]!.toTypedArray() as Uint8Array).toString('utf8')) as string[];
    const m = withoutInit(() => createModel(n));
    assert.deepEqual(
      m.stateEntries().map(([k]) => k),
      theirs,
      n,
    );
    m.dispose();
  }
});

test('loadStateDict: strict by default, throws before copying anything', () => {
  scope(() => {
    const a = net();
    const b = net();
    const sd = a.stateDict();
    b.loadStateDict(sd);
    for (const [k, t] of Object.entries(b.stateDict())) assert.ok(t.equal(sd[k]!), k);
    const before = b.stateDict()['head.2.weight']!.clone();
    const broken: Record<string, Tensor> = { ...sd, 'head.2.weight': randn([3, 4]), extra: zeros([1]) };
    delete broken['stem.scale'];
    broken['stem.conv1.weight'] = randn([4, 3, 1, 1]);
    assert.throws(
      () => b.loadStateDict(broken),
      (e: Error) => {
        assert.match(e.message, /missing keys: stem\.scale/);
        assert.match(e.message, /unexpected keys: extra/);
        assert.match(e.message, /shape mismatches: stem\.conv1\.weight \(module \[4,3,3,3\], dict \[4,3,1,1\]\)/);
        return true;
      },
    );
    assert.ok(b.stateDict()['head.2.weight']!.equal(before), 'a failed strict load changed the module');
    // non-strict: copies what matches and reports the rest
    const report = b.loadStateDict(new Map(Object.entries(broken)), { strict: false });
    assert.deepEqual(report, {
      missing: ['stem.scale'],
      unexpected: ['extra'],
      shapeMismatch: [{ key: 'stem.conv1.weight', expected: [4, 3, 3, 3], got: [4, 3, 1, 1] }],
    });
    assert.ok(b.stateDict()['head.2.weight']!.equal(broken['head.2.weight']!));
    // a missing batch counter is tolerated (PyTorch fills it in for unversioned state dicts)
    const old = { ...sd };
    for (const k of Object.keys(old)) if (k.endsWith('num_batches_tracked')) delete old[k];
    assert.deepEqual(b.loadStateDict(old), { missing: [], unexpected: [], shapeMismatch: [] });
    // dtype is cast on copy; int64 counters load
    const f64 = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.dtype === 'float32' ? v.double() : v.add(5)]));
    b.loadStateDict(f64);
    assert.equal(b.stateDict()['stem.bn1.num_batches_tracked']!.item(), 5);
    assert.equal(b.stateDict()['stem.bn1.weight']!.dtype, 'float32');
    a.dispose();
    b.dispose();
  });
});

test('freezing with requiresGrad_(false) and trainable parameter counts', () => {
  const m = net();
  const total = m.numParameters();
  assert.equal(total, 1 + 4 * 27 + 8 + 4 * 3 + 8 + 3 * 4 + 3);
  (m.getSubmodule('stem') as Module).requiresGrad_(false);
  assert.equal(m.numParameters({ trainable: true }), 3 * 4 + 3);
  scope(() => {
    m.forward(randn([2, 3, 5, 5]))
      .sum()
      .backward();
    for (const [k, p] of m.namedParameters()) assert.equal(p.grad === null, k.startsWith('stem'), k);
  });
  m.requiresGrad_(true);
  assert.equal(m.numParameters({ trainable: true }), total);
  m.dispose();
});

test('parameter groups: no weight decay on biases and norm weights, frozen parameters left out', () => {
  const m = net();
  let groups = parameterGroups(m, { weightDecay: 1e-4 });
  assert.deepEqual(
    groups.map((g) => [g.weightDecay, g.names]),
    [
      [1e-4, ['stem.conv1.weight', 'stem.downsample.0.weight', 'head.2.weight']],
      [0, ['stem.scale', 'stem.bn1.weight', 'stem.bn1.bias', 'stem.downsample.1.weight', 'stem.downsample.1.bias', 'head.2.bias']],
    ],
  );
  assert.equal(groups[0]!.params[2], m.getSubmodule('head.2').parameters()[0]);
  m.getSubmodule('head').requiresGrad_(false);
  groups = m.parameterGroups({ weightDecay: 0.05, noDecay: (name) => name === 'stem.conv1.weight' });
  assert.deepEqual(
    groups.map((g) => g.names),
    [
      ['stem.downsample.0.weight'],
      ['stem.scale', 'stem.conv1.weight', 'stem.bn1.weight', 'stem.bn1.bias', 'stem.downsample.1.weight', 'stem.downsample.1.bias'],
    ],
  );
  m.dispose();
});

test('train() and eval() reach every module; dropout is the identity in eval', () => {
  const m = new Sequential([new Linear(4, 4), new Sequential([new Dropout(0.5), new ReLU()])]);
  assert.ok(m.modules().every((x) => x.training));
  m.eval();
  assert.ok(m.modules().every((x) => !x.training));
  scope(() => {
    const x = ones([8, 4]);
    const drop = m.getSubmodule('1.0');
    assert.equal(drop.forward(x), x);
    m.train();
    const y = drop.forward(ones([1000]));
    const zerosFrac = y.eq(0).float().mean().item();
    assert.ok(zerosFrac > 0.4 && zerosFrac < 0.6, `dropout zeroed ${zerosFrac}`);
  });
  m.dispose();
});

test('BatchNorm2d training updates running statistics and the counter as PyTorch does', { skip: oracleSkip() }, () => {
  scope(() => {
    const x1 = randn([4, 3, 5, 5]).mul(2).add(1);
    const x2 = randn([4, 3, 5, 5]);
    const bn = new BatchNorm2d(3);
    const cumulative = new BatchNorm2d(3, { momentum: null });
    const y = [bn.forward(x1), bn.forward(x2)];
    cumulative.forward(x1);
    cumulative.forward(x2);
    const ref = torchOracle(
      `
      bn = torch.nn.BatchNorm2d(3); cum = torch.nn.BatchNorm2d(3, momentum=None)
      ys = [bn(inputs['x1']), bn(inputs['x2'])]; cum(inputs['x1']); cum(inputs['x2'])
      outputs['y1'], outputs['y2'] = ys
      outputs['mean'], outputs['var'], outputs['n'] = bn.running_mean, bn.running_var, bn.num_batches_tracked.reshape(1)
      outputs['cmean'], outputs['cvar'] = cum.running_mean, cum.running_var
      bn.eval(); outputs['eval'] = bn(inputs['x1'])`,
      { x1, x2 },
    );
    assertClose(y[0]!, ref.y1!, { rtol: 1e-5 });
    assertClose(y[1]!, ref.y2!, { rtol: 1e-5 });
    assertClose(bn.running_mean!, ref.mean!, { rtol: 1e-5 });
    assertClose(bn.running_var!, ref.var!, { rtol: 1e-5 });
    assert.equal(bn.num_batches_tracked!.item(), 2);
    assertClose(cumulative.running_mean!, ref.cmean!, { rtol: 1e-5 });
    assertClose(cumulative.running_var!, ref.cvar!, { rtol: 1e-5 });
    bn.eval();
    assertClose(bn.forward(x1), ref.eval!, { rtol: 1e-5 });
    assert.equal(bn.num_batches_tracked!.item(), 2, 'eval mode must not count batches');
    bn.dispose();
    cumulative.dispose();
  });
});

test('to(): dtype of floating tensors only, channels-last 4-D weights, leaves stay trainable', () => {
  const m = net();
  scope(() => {
    const x = randn([2, 3, 6, 6]);
    m.eval();
    const ref = m.forward(x);
    m.to({ dtype: 'float64' });
    assert.ok(m.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad && p.isLeaf));
    assert.equal(m.stateDict()['stem.bn1.num_batches_tracked']!.dtype, 'int64');
    assertClose(m.forward(x.double()), ref.double(), { rtol: 1e-6 });
    m.to({ dtype: 'float32', memoryFormat: 'channelsLast' });
    const w = m.getSubmodule('stem.conv1').parameters()[0]!;
    assert.ok(w.isContiguous('channelsLast') && !w.isContiguous());
    assert.ok((m.getSubmodule('stem') as Block).conv1.weight === w, 'the property sees the converted tensor');
    assertClose(m.forward(x.contiguous('channelsLast')), ref, { rtol: 1e-5 });
  });
  m.dispose();
});

test('registered tensors outlive scopes; dispose() frees them all', () => {
  const base = liveTensors();
  const m = scope(() => {
    const inner = net();
    inner.forward(randn([1, 3, 4, 4]));
    return inner;
  });
  assert.equal(liveTensors(), base + m.stateEntries().length + 1, 'parameters, buffers (incl. non-persistent) survive');
  scope(() => {
    m.forward(randn([1, 3, 4, 4]));
  });
  m.to({ dtype: 'float64' });
  assert.equal(liveTensors(), base + m.stateEntries().length + 1, 'to() frees what it replaces');
  m.dispose();
  assert.equal(liveTensors(), base);
  assert.ok(m.isDisposed);
  m.dispose();
});

test('assigning a registered name swaps the submodule; getSubmodule/setSubmodule by dotted path', () => {
  const m = net();
  const head = m.getSubmodule('head') as Sequential;
  const old = m.setSubmodule('head.2', new Linear(4, 7))!;
  assert.ok(old instanceof Linear);
  old.dispose();
  assert.deepEqual(
    scope(() => m.forward(randn([2, 3, 4, 4])).shape),
    [2, 7],
  );
  (m as any).head = new Identity();
  assert.ok(m.getSubmodule('head') instanceof Identity);
  assert.ok(!Object.keys(scope(() => m.stateDict())).some((k) => k.startsWith('head')));
  head.dispose();
  assert.throws(() => m.getSubmodule('stem.nope'), /has no submodule 'nope'/);
  assert.throws(() => new Sequential([['length', new ReLU()]]), /cannot register 'length'/);
  assert.throws(() => m.registerBuffer('stem', zeros([1])), /already registered as a module/);
  m.dispose();
});

test('ModuleList holds modules without a forward; Sequential frees intermediates', () => {
  const list = new ModuleList([new Linear(2, 2), new Linear(2, 3)]);
  assert.equal(list.length, 2);
  assert.deepEqual(Object.keys(scope(() => list.stateDict())), ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.throws(() => list.forward(zeros([1])), /no forward/);
  const seq = new Sequential([...list]);
  const before = liveTensors();
  const x = randn([5, 2]);
  const y = noGrad(() => seq.forward(x));
  assert.equal(liveTensors(), before + 2, 'only the input and the output are alive');
  x.dispose();
  y.dispose();
  list.dispose();
});

test('initialisers: PyTorch defaults, Kaiming, truncated normal; withoutInit skips them', () => {
  scope(() => {
    const conv = new Conv2d(64, 128, 3);
    const bound = 1 / Math.sqrt(64 * 9);
    assert.ok(conv.weight.abs().max().item() <= bound);
    assert.ok(Math.abs(conv.weight.std().item() - bound / Math.sqrt(3)) < 0.03 * bound);
    assert.ok(conv.bias!.abs().max().item() <= bound);
    const w = zeros([256, 128, 3, 3]);
    init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' });
    assert.ok(Math.abs(w.std().item() - Math.sqrt(2 / (256 * 9))) < 0.01 * Math.sqrt(2 / (256 * 9)));
    const t = zeros([100000]);
    init.truncNormal_(t, { std: 1, a: -0.5, b: 1 });
    assert.ok(t.min().item() >= -0.5 && t.max().item() <= 1 && t.lt(0).float().mean().item() > 0.3);
    const kept = tensor([1, 2, 3]);
    withoutInit(() => init.ones_(kept));
    assert.deepEqual(kept.toArray(), [1, 2, 3]);
    assert.equal(init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    conv.dispose();
  });
});
