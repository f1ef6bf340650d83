// batchNorm, layerNorm and groupNorm against PyTorch, including batchNorm's running statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, rand, manualSeed, scope, zeros, ones, type Tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(2);

const stats = (c: number) => ({ rm: randn([c]), rv: rand([c]).add(0.5) });
const cases: ParityCase[] = [];

for (const [shape, label] of [
  [[4, 3, 5, 5], '4-D'],
  [[6, 4], '2-D'],
  [[3, 2, 7], '3-D'],
] as [number[], string][]) {
  const c = shape[1]!;
  for (const affine of [true, false]) {
    for (const momentum of [0.1, 0.3]) {
      const inputs: Record<string, Tensor> = { x: randn(shape).mul(2).add(0.5), ...stats(c) };
      if (affine) Object.assign(inputs, { w: randn([c]), b: randn([c]) });
      const wb = affine ? "t['w'], t['b']" : 'None, None';
      cases.push({
        name: `batchNorm training ${label}${affine ? ' affine' : ''} momentum ${momentum}: output, grads and running stats`,
        inputs,
        grad: affine ? ['x', 'w', 'b'] : ['x'],
        mutated: ['rm', 'rv'],
        js: (t) => F.batchNorm(t.x!, t.rm!, t.rv!, { weight: t.w, bias: t.b, training: true, momentum, eps: 1e-5 }),
        py: `F.batch_norm(t['x'], t['rm'], t['rv'], ${wb}, training=True, momentum=${momentum}, eps=1e-5)`,
      });
    }
  }
  const inputs: Record<string, Tensor> = { x: randn(shape), w: randn([c]), b: randn([c]), ...stats(c) };
  cases.push({
    name: `batchNorm eval ${label} uses (and keeps) the running stats`,
    inputs,
    grad: ['x', 'w', 'b'],
    mutated: ['rm', 'rv'],
    js: (t) => F.batchNorm(t.x!, t.rm!, t.rv!, { weight: t.w, bias: t.b, eps: 1e-3 }),
    py: "F.batch_norm(t['x'], t['rm'], t['rv'], t['w'], t['b'], training=False, eps=1e-3)",
  });
}
cases.push(
  {
    name: 'batchNorm training without running stats',
    inputs: { x: randn([5, 3, 2, 2]), w: randn([3]) },
    grad: ['x', 'w'],
    js: (t) => F.batchNorm(t.x!, null, null, { weight: t.w, training: true }),
    py: "F.batch_norm(t['x'], None, None, t['w'], training=True)",
  },
  {
    name: 'batchNorm training on one value per channel fails as in PyTorch',
    inputs: { x: randn([1, 3, 1, 1]), ...stats(3) },
    js: (t) => F.batchNorm(t.x!, t.rm!, t.rv!, { training: true }),
    py: "F.batch_norm(t['x'], t['rm'], t['rv'], training=True)",
    error: /Expected more than 1 value per channel when training/,
  },
  {
    name: 'batchNorm channels-last input',
    inputs: { x: randn([2, 3, 4, 4]), w: randn([3]), b: randn([3]), ...stats(3) },
    grad: ['x', 'w', 'b'],
    mutated: ['rm', 'rv'],
    js: (t) => F.batchNorm(t.x!.contiguous('channelsLast'), t.rm!, t.rv!, { weight: t.w, bias: t.b, training: true }),
    py: "F.batch_norm(t['x'].contiguous(memory_format=torch.channels_last), t['rm'], t['rv'], t['w'], t['b'], training=True)",
  },
);

for (const [shape, norm] of [
  [[3, 4, 6], [6]],
  [
    [2, 3, 4, 5],
    [4, 5],
  ],
  [[5, 8], [8]],
] as [number[], number[]][]) {
  cases.push({
    name: `layerNorm [${shape}] over [${norm}] affine`,
    inputs: { x: randn(shape).mul(3), w: randn(norm), b: randn(norm) },
    grad: ['x', 'w', 'b'],
    js: (t) => F.layerNorm(t.x!, norm, { weight: t.w, bias: t.b }),
    py: `F.layer_norm(t['x'], ${JSON.stringify(norm)}, t['w'], t['b'])`,
  });
}
cases.push({
  name: 'layerNorm without affine, eps 1e-6, number shape',
  inputs: { x: randn([4, 7]) },
  grad: ['x'],
  js: (t) => F.layerNorm(t.x!, 7, { eps: 1e-6 }),
  py: "F.layer_norm(t['x'], [7], eps=1e-6)",
});

for (const [shape, groups] of [
  [[2, 6, 4, 4], 3],
  [[3, 4, 5], 2],
  [[2, 8, 3, 3], 8],
  [[2, 4, 3, 3], 1],
] as [number[], number][]) {
  cases.push({
    name: `groupNorm [${shape}] in ${groups} groups`,
    inputs: { x: randn(shape).mul(2), w: randn([shape[1]!]), b: randn([shape[1]!]) },
    grad: ['x', 'w', 'b'],
    js: (t) => F.groupNorm(t.x!, groups, { weight: t.w, bias: t.b }),
    py: `F.group_norm(t['x'], ${groups}, t['w'], t['b'])`,
  });
}
cases.push(
  {
    name: 'groupNorm without affine',
    inputs: { x: randn([2, 4, 3, 3]) },
    grad: ['x'],
    js: (t) => F.groupNorm(t.x!, 2, { eps: 1e-3 }),
    py: "F.group_norm(t['x'], 2, eps=1e-3)",
  },
  {
    name: 'groupNorm with channels not divisible by groups fails',
    inputs: { x: randn([2, 5, 3, 3]) },
    js: (t) => F.groupNorm(t.x!, 2),
    py: "F.group_norm(t['x'], 2)",
    error: /divisible|num_groups/,
  },
);

parityTests(cases);

test('batchNorm: repeated training steps track the batch statistics; eval then normalises with them', () => {
  scope(() => {
    const mean = zeros([2]);
    const variance = ones([2]);
    for (let i = 0; i < 60; i++) F.batchNorm(randn([64, 2, 4, 4]).mul(3).add(5), mean, variance, { training: true, momentum: 0.2 });
    assert.ok(mean.sub(5).abs().max().item() < 0.3, `running mean ${mean}`);
    assert.ok(variance.sub(9).abs().max().item() < 1.0, `running var ${variance}`);
    const x = randn([8, 2, 4, 4]).mul(3).add(5);
    const y = F.batchNorm(x, mean, variance);
    const expected = x.sub(mean.view(1, 2, 1, 1)).div(variance.add(1e-5).sqrt().view(1, 2, 1, 1));
    assert.ok(y.allclose(expected, 1e-5, 1e-5));
  });
});
