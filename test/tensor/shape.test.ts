// Views and reshapes against PyTorch: values, strides, contiguity (both memory formats) and
// gradients through the views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, scope, tensor, type Tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(21);

// The layout travels with the values: [y, strides, [contiguous, channels-last contiguous]].
const layoutJs = (y: Tensor): Tensor[] => [y, tensor(y.strides, { dtype: 'int64' }), tensor([y.isContiguous(), y.isContiguous('channelsLast')])];
const PRELUDE = `
def layout(y):
    return (y, torch.tensor(y.stride(), dtype=torch.int64), torch.tensor([y.is_contiguous(), y.is_contiguous(memory_format=torch.channels_last)]))
`;

const ops: [string, number[], (x: Tensor) => Tensor, string][] = [
  ['view to [6, 4]', [2, 3, 4], (x) => x.view(6, 4), 'x.view(6, 4)'],
  ['view with -1 (array form)', [2, 3, 4], (x) => x.view([-1, 2]), 'x.view(-1, 2)'],
  ['reshape of a transposed tensor (copies)', [3, 4], (x) => x.t().reshape(12), 'x.t().reshape(12)'],
  ['reshape contiguous (views)', [3, 4], (x) => x.reshape([2, -1]), 'x.reshape(2, -1)'],
  ['permute', [2, 3, 4, 5], (x) => x.permute(0, 2, 3, 1), 'x.permute(0, 2, 3, 1)'],
  ['permute negative dims', [2, 3, 4], (x) => x.permute([-1, 0, 1]), 'x.permute(-1, 0, 1)'],
  ['transpose', [2, 3, 4], (x) => x.transpose(0, 2), 'x.transpose(0, 2)'],
  ['t', [3, 5], (x) => x.t(), 'x.t()'],
  ['flatten all', [2, 3, 4], (x) => x.flatten(), 'x.flatten()'],
  ['flatten(1)', [2, 3, 4, 5], (x) => x.flatten(1), 'x.flatten(1)'],
  ['flatten(1, 2)', [2, 3, 4, 5], (x) => x.flatten(1, 2), 'x.flatten(1, 2)'],
  ['unflatten', [2, 12], (x) => x.unflatten(1, [3, 4]), 'x.unflatten(1, (3, 4))'],
  ['squeeze all', [1, 3, 1, 4], (x) => x.squeeze(), 'x.squeeze()'],
  ['squeeze dim', [1, 3, 1, 4], (x) => x.squeeze(2), 'x.squeeze(2)'],
  ['squeeze non-1 dim is a no-op', [2, 3], (x) => x.squeeze(0), 'x.squeeze(0)'],
  ['unsqueeze', [3, 4], (x) => x.unsqueeze(1), 'x.unsqueeze(1)'],
  ['unsqueeze -1', [3, 4], (x) => x.unsqueeze(-1), 'x.unsqueeze(-1)'],
  ['expand', [3, 1], (x) => x.expand(2, 3, 4), 'x.expand(2, 3, 4)'],
  ['expand -1', [1, 4], (x) => x.expand([5, -1]), 'x.expand(5, -1)'],
  ['expand then contiguous', [3, 1], (x) => x.expand(3, 4).contiguous(), 'x.expand(3, 4).contiguous()'],
  ['repeat', [2, 3], (x) => x.repeat(2, 1, 2), 'x.repeat(2, 1, 2)'],
  ['flip', [2, 3, 4], (x) => x.flip([0, 2]), 'x.flip([0, 2])'],
  ['roll', [3, 4], (x) => x.roll([1, -1], [0, 1]), 'x.roll((1, -1), (0, 1))'],
  ['contiguous of a permuted tensor', [2, 3, 4], (x) => x.permute(2, 0, 1).contiguous(), 'x.permute(2, 0, 1).contiguous()'],
  ['channels last', [2, 3, 4, 5], (x) => x.contiguous('channelsLast'), 'x.contiguous(memory_format=torch.channels_last)'],
  ['channels last then back', [2, 3, 4, 5], (x) => x.contiguous('channelsLast').contiguous(), 'x.contiguous(memory_format=torch.channels_last).contiguous()'],
  [
    'channels last clone preserves the format',
    [2, 3, 4, 5],
    (x) => x.contiguous('channelsLast').clone(),
    'x.contiguous(memory_format=torch.channels_last).clone()',
  ],
  ['to channels last', [2, 3, 4, 5], (x) => x.to({ memoryFormat: 'channelsLast' }), 'x.to(memory_format=torch.channels_last)'],
  ['channels last of a C=1 tensor', [2, 1, 3, 3], (x) => x.contiguous('channelsLast'), 'x.contiguous(memory_format=torch.channels_last)'],
  ['NHWC permute is channels-last contiguous', [2, 4, 5, 3], (x) => x.permute(0, 3, 1, 2), 'x.permute(0, 3, 1, 2)'],
];

const cases: ParityCase[] = ops.map(([name, shape, js, py]) => ({
  name,
  inputs: { x: randn(shape) },
  grad: ['x'],
  js: (t) => layoutJs(js(t.x!)),
  py: `layout((lambda x: ${py})(t['x']))`,
}));
cases.push(
  {
    name: 'view of a non-contiguous tensor fails as in PyTorch',
    inputs: { x: randn([3, 4]) },
    js: (t) => t.x!.t().view(12),
    py: "t['x'].t().view(12)",
    error: /view size is not compatible with input tensor's size and stride/,
  },
  {
    name: 'view to an incompatible size fails',
    inputs: { x: randn([3, 4]) },
    js: (t) => t.x!.view(5, 3),
    py: "t['x'].view(5, 3)",
    error: /shape '\[5, 3\]' is invalid for input of size 12/,
  },
  {
    name: 'expand of a non-1 dimension fails',
    inputs: { x: randn([3, 2]) },
    js: (t) => t.x!.expand(3, 4),
    py: "t['x'].expand(3, 4)",
    error: /The expanded size of the tensor \(4\) must match the existing size \(2\)/,
  },
);

parityTests(cases, PRELUDE);

test('views share storage; reshape and contiguous copy only when they must', () => {
  scope(() => {
    const x = randn([2, 3, 4]);
    for (const v of [
      x.view(6, 4),
      x.permute(2, 0, 1),
      x.transpose(0, 1),
      x.flatten(),
      x.unsqueeze(0),
      x.squeeze(),
      x.select(0, 1),
      x.narrow(2, 1, 2),
      x.expand(5, 2, 3, 4),
    ]) {
      assert.ok(v.sharesStorageWith(x));
    }
    assert.ok(x.reshape(4, 6).sharesStorageWith(x));
    assert.ok(!x.transpose(0, 2).reshape(24).sharesStorageWith(x));
    assert.ok(x.contiguous().sharesStorageWith(x));
    assert.ok(!x.transpose(0, 2).contiguous().sharesStorageWith(x));
    // a write through a view shows in the base
    x.view(24).narrow(0, 0, 1).fill_(42);
    assert.equal(x.select(0, 0).select(0, 0).select(0, 0).item(), 42);
    const cl = randn([2, 3, 4, 5]).contiguous('channelsLast');
    assert.ok(cl.isContiguous('channelsLast') && !cl.isContiguous());
    assert.deepEqual(cl.strides, [60, 1, 15, 3]);
    assert.deepEqual(cl.shape, [2, 3, 4, 5]);
  });
});
