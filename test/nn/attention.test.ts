// Attention modules (SE, Gather-Excite, CBAM, Selective Kernel) against PyTorch references
// written from timm's layer definitions (test/models/support/timm-reference.ts): the same
// weights are loaded strictly into the reference (so every key is timm's), and outputs,
// key names and reduction widths must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, scope, manualSeed, keep, type Tensor } from '../../src/index.js';
import { attention, Module } from '../../src/nn/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';
import { TIMM_LAYERS_PY, perturbStats, stateInputs } from '../models/support/timm-reference.js';

interface Case {
  name: string;
  build: () => Module;
  /** Python expression constructing the reference module. */
  ref: string;
  input: number[];
  train?: boolean;
}

const CASES: Case[] = [
  { name: 'se', build: () => attention.create('se', 64), ref: 'SEModule(64)', input: [2, 64, 7, 7] },
  { name: 'se_rd', build: () => attention.create('se', 48, { rdChannels: 12 }), ref: 'SEModule(48, rd_channels=12)', input: [2, 48, 5, 6] },
  { name: 'ge_global', build: () => attention.create('ge', 32), ref: 'GatherExcite(32)', input: [2, 32, 9, 9] },
  { name: 'ge_global_max', build: () => attention.create('ge', 32, { addMaxpool: true }), ref: 'GatherExcite(32, add_maxpool=True)', input: [2, 32, 9, 9] },
  { name: 'ge_local', build: () => attention.create('ge', 32, { extent: 4 }), ref: 'GatherExcite(32, extent=4)', input: [2, 32, 9, 9] },
  {
    name: 'ge_local_max_nomlp',
    build: () => attention.create('ge', 32, { extent: 2, useMlp: false, addMaxpool: true }),
    ref: 'GatherExcite(32, extent=2, use_mlp=False, add_maxpool=True)',
    input: [2, 32, 8, 8],
  },
  {
    name: 'ge_local_params',
    build: () => attention.create('ge', 32, { extent: 8, extraParams: true }),
    ref: 'GatherExcite(32, extent=8, extra_params=True)',
    input: [2, 32, 16, 16],
  },
  {
    name: 'ge_global_params',
    build: () => attention.create('ge', 32, { extraParams: true, featSize: 7 }),
    ref: 'GatherExcite(32, feat_size=7, extra_params=True)',
    input: [2, 32, 7, 7],
  },
  { name: 'cbam', build: () => attention.create('cbam', 32), ref: 'CbamModule(32)', input: [2, 32, 9, 9] },
  {
    name: 'cbam_k3',
    build: () => attention.create('cbam', 64, { spatialKernelSize: 3, rdRatio: 1 / 8 }),
    ref: 'CbamModule(64, rd_ratio=1/8, k=3)',
    input: [2, 64, 6, 6],
  },
  { name: 'sk', build: () => attention.create('sk', 32), ref: 'SelectiveKernel(32)', input: [2, 32, 9, 9] },
  {
    name: 'sk_stride_wider',
    build: () => attention.create('sk', 32, { outChannels: 64, stride: 2 }),
    ref: 'SelectiveKernel(32, 64, stride=2)',
    input: [2, 32, 9, 9],
  },
  {
    name: 'sk_three_paths_groups',
    build: () => attention.create('sk', 24, { outChannels: 48, kernelSize: [3, 5, 7], groups: 4, splitInput: false, rdRatio: 1 / 8, rdDivisor: 16 }),
    ref: 'SelectiveKernel(24, 48, kernel_size=[3, 5, 7], groups=4, split_input=False, rd_ratio=1/8, rd_divisor=16)',
    input: [2, 24, 8, 8],
  },
  {
    name: 'sk_no_keep3x3',
    build: () => attention.create('sk', 16, { keep3x3: false, dilation: 2 }),
    ref: 'SelectiveKernel(16, keep_3x3=False, dilation=2)',
    input: [2, 16, 10, 10],
  },
  { name: 'sk_train', build: () => attention.create('sk', 32, { outChannels: 32 }), ref: 'SelectiveKernel(32)', input: [4, 32, 6, 6], train: true },
  {
    name: 'ge_params_train',
    build: () => attention.create('ge', 16, { extent: 4, extraParams: true }),
    ref: 'GatherExcite(16, extent=4, extra_params=True)',
    input: [3, 16, 8, 8],
    train: true,
  },
];

// All cases go to PyTorch in one oracle call (one Python start-up); computed on first use.
let results: Map<string, { ours: Tensor; theirs: Tensor }> | null = null;
function compute(): Map<string, { ours: Tensor; theirs: Tensor }> {
  if (results) return results;
  manualSeed(7);
  const inputs: Record<string, Tensor> = {};
  const ours = new Map<string, Tensor>();
  let code = TIMM_LAYERS_PY;
  for (const c of CASES) {
    const m = c.build();
    perturbStats(m);
    if (!c.train) m.eval();
    const x = randn(c.input);
    Object.assign(inputs, stateInputs(m, `${c.name}.sd.`), { [`${c.name}.x`]: x });
    ours.set(c.name, keep(m.forward(x)));
    code += `\nm = load(${c.ref}, '${c.name}.sd.')\n${c.train ? 'm.train()\n' : ''}outputs['${c.name}'] = m(inputs['${c.name}.x'])\n`;
    m.dispose();
  }
  const theirs = torchOracle(code, inputs);
  results = new Map(CASES.map((c) => [c.name, { ours: ours.get(c.name)!, theirs: keep(theirs[c.name]!) }]));
  return results;
}

for (const c of CASES) {
  test(`${c.name}: output matches the timm reference${c.train ? ' in training mode' : ''}`, { skip: oracleSkip() }, () => {
    const r = scope(() => compute()).get(c.name)!;
    assertClose(r.ours, r.theirs, { rtol: 1e-5, atol: 1e-6 });
  });
}

test("state-dict keys are timm's", () => {
  scope(() => {
    const keys = (m: Module) => Object.keys(m.stateDict());
    const bn = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `${p}.${k}`);
    assert.deepEqual(keys(attention.create('se', 64)), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    assert.deepEqual(keys(attention.create('cbam', 64)), ['channel.fc1.weight', 'channel.fc2.weight', 'spatial.conv.conv.weight', ...bn('spatial.conv.bn')]);
    assert.deepEqual(keys(attention.create('ge', 64)), ['mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias']);
    assert.deepEqual(keys(attention.create('ge', 64, { extent: 4, extraParams: true, useMlp: false })), [
      'gather.conv1.weight',
      ...bn('gather.norm1'),
      'gather.conv2.weight',
      ...bn('gather.norm2'),
    ]);
    assert.deepEqual(keys(attention.create('sk', 64)), [
      'paths.0.conv.weight',
      ...bn('paths.0.bn'),
      'paths.1.conv.weight',
      ...bn('paths.1.bn'),
      'attn.fc_reduce.weight',
      ...bn('attn.bn'),
      'attn.fc_select.weight',
    ]);
  });
});

test("reduction widths follow timm's rounding", () => {
  scope(() => {
    const width = (m: Module, key: string) => m.stateDict()[key]!.shape[0];
    // SE: make_divisible(c / 16, 8, round_limit=0)
    assert.equal(width(attention.create('se', 64), 'fc1.weight'), 8);
    assert.equal(width(attention.create('se', 256), 'fc1.weight'), 16);
    assert.equal(width(attention.create('se', 200), 'fc1.weight'), 16);
    // CBAM and GE: divisor 1
    assert.equal(width(attention.create('cbam', 200), 'channel.fc1.weight'), 13);
    assert.equal(width(attention.create('ge', 72), 'mlp.fc1.weight'), 5);
    // SK: make_divisible(out / 16, 8) with the 0.9 round limit; paths see half the input each
    const sk = attention.create('sk', 64, { outChannels: 128 });
    assert.equal(width(sk, 'attn.fc_reduce.weight'), 8);
    assert.deepEqual(sk.stateDict()['paths.0.conv.weight']!.shape, [128, 32, 3, 3]);
    assert.deepEqual(sk.stateDict()['attn.fc_select.weight']!.shape, [256, 8, 1, 1]);
  });
});

test('attention modules keep the input shape, train end to end and free their temporaries', () => {
  for (const kind of attention.ATTENTION_KINDS) {
    const m = attention.create(kind, 16);
    scope(() => {
      const x = randn([2, 16, 8, 8]);
      const y = m.forward(x);
      assert.deepEqual(y.shape, x.shape, kind);
      y.square().mean().backward();
      for (const [name, p] of m.namedParameters()) assert.ok(p.grad !== null, `${kind}: no gradient for ${name}`);
    });
    m.dispose();
  }
  assert.throws(() => attention.create('nope' as never, 8), /unknown attention kind 'nope'/);
  assert.throws(() => attention.create('ge', 8, { extent: 3 }), /extent must be 0 or even/);
  assert.throws(() => attention.create('ge', 8, { extraParams: true }), /needs featSize/);
});
