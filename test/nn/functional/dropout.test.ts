// dropout and dropout2d: the same masks as PyTorch under the same seed (one libtorch
// generator), plus statistical properties that need no oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, ones, manualSeed, scope } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(5);

const seeded = (seed: number, py: string) => `(torch.manual_seed(${seed}), ${py})[1]`;
const cases: ParityCase[] = [];
for (const p of [0.2, 0.5, 0, 1]) {
  cases.push(
    {
      name: `dropout p=${p} (same seed, same mask; gradient is mask / (1 - p))`,
      inputs: { x: randn([6, 50]) },
      grad: ['x'],
      js: (t) => (manualSeed(11), F.dropout(t.x!, { p })),
      py: seeded(11, `F.dropout(t['x'], ${p})`),
    },
    {
      name: `dropout2d p=${p} on [N, C, H, W]`,
      inputs: { x: randn([4, 8, 3, 3]) },
      grad: ['x'],
      js: (t) => (manualSeed(12), F.dropout2d(t.x!, { p })),
      py: seeded(12, `F.dropout2d(t['x'], ${p})`),
    },
  );
}
cases.push(
  {
    name: 'dropout2d on a 3-D input drops rows as PyTorch 1.13 does',
    inputs: { x: randn([4, 8, 5]) },
    grad: ['x'],
    js: (t) => (manualSeed(13), F.dropout2d(t.x!, { p: 0.4 })),
    py: seeded(13, "F.dropout2d(t['x'], 0.4)"),
  },
  {
    name: 'dropout in eval mode is the identity',
    inputs: { x: randn([5, 7]) },
    grad: ['x'],
    js: (t) => F.dropout(t.x!, { p: 0.5, training: false }),
    py: "F.dropout(t['x'], 0.5, training=False)",
  },
  {
    name: 'dropout inplace on a non-leaf',
    inputs: { x: randn([6, 20]) },
    grad: ['x'],
    js: (t) => (manualSeed(14), F.dropout(t.x!.mul(2), { p: 0.3, inplace: true })),
    py: seeded(14, "F.dropout(t['x'] * 2, 0.3, inplace=True)"),
  },
);

parityTests(cases);

test('dropout: drop rate, scaling of survivors, identity when not training', () => {
  scope(() => {
    const x = ones([200000]);
    const y = F.dropout(x, { p: 0.3 });
    const dropped = y.eq(0).float().mean().item();
    assert.ok(Math.abs(dropped - 0.3) < 0.01, `drop rate ${dropped}`);
    const kept = y.maskedFill(y.eq(0), 1 / 0.7);
    assert.ok(kept.allclose(ones([200000]).mul(1 / 0.7)), 'survivors are scaled by 1 / (1 - p)');
    assert.ok(Math.abs(y.mean().item() - 1) < 0.02, 'expectation preserved');
    const e = F.dropout(x, { p: 0.9, training: false });
    assert.ok(e.equal(x));
  });
});

test('dropout2d zeroes whole channels', () => {
  scope(() => {
    const y = F.dropout2d(ones([16, 32, 4, 4]), { p: 0.5 });
    const perChannel = y.flatten(2);
    // each channel is all zero or all 2
    assert.ok(perChannel.max(2).values.equal(perChannel.min(2).values));
    const rate = perChannel.select(2, 0).eq(0).float().mean().item();
    assert.ok(rate > 0.35 && rate < 0.65, `channel drop rate ${rate}`);
  });
});

test('dropout rejects bad probabilities and dropout2d bad ranks', () => {
  scope(() => {
    assert.throws(() => F.dropout(ones([3]), { p: 1.5 }), /dropout probability has to be between 0 and 1, but got 1.5/);
    assert.throws(() => F.dropout2d(ones([3, 3]), { p: -0.1 }), /between 0 and 1/);
    assert.throws(() => F.dropout2d(ones([3, 3])), /expected a 3-D/);
  });
});
