// Reproducibility: manualSeed fixes every random draw (the same stream as PyTorch's CPU
// generator, since both are libtorch's), and the thread setting round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aten } from '../../src/native/aten.js';
import { getNumThreads, manualSeed, ones, rand, randint, randn, randperm, scope, setNumThreads, wrap, type Tensor } from '../../src/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';

/** Every kind of random draw a training run makes, in a fixed order. */
function draws(): Record<string, Tensor> {
  return {
    randn: randn([64]),
    rand: rand([3, 5]),
    randint: randint(0, 1000, [20]),
    randperm: randperm(50),
    dropout: wrap(aten('dropout').call(ones([8, 16]).handle, 0.3, true)),
    normal: randn([10]).normal_(2, 3),
    uniform: ones([10]).uniform_(-1, 1),
  };
}

test('the same seed gives identical draws and dropout masks; another seed differs', () => {
  scope(() => {
    manualSeed(1234);
    const a = draws();
    manualSeed(1234);
    const b = draws();
    manualSeed(1235);
    const c = draws();
    for (const k of Object.keys(a)) {
      assert.ok(a[k]!.equal(b[k]!), `${k}: same seed, different values`);
      assert.ok(!a[k]!.equal(c[k]!), `${k}: different seeds, same values`);
    }
    // The dropout mask really drops (and scales survivors by 1 / (1 - p)).
    const kept = a.dropout!.ne(0).sum().item();
    assert.ok(kept > 40 && kept < 120, `dropout kept ${kept} of 128`);
    assert.ok(a.dropout!.max().item() - 1 / 0.7 < 1e-6);
    assert.throws(() => manualSeed(-1), /non-negative integer/);
    assert.throws(() => manualSeed(1.5), /non-negative integer/);
  });
});

test('a seed gives the same stream as torch.manual_seed in PyTorch', { skip: oracleSkip() }, () => {
  scope(() => {
    manualSeed(42);
    const mine = draws();
    const theirs = torchOracle(`
      torch.manual_seed(42)
      outputs['randn'] = torch.randn(64)
      outputs['rand'] = torch.rand(3, 5)
      outputs['randint'] = torch.randint(0, 1000, (20,))
      outputs['randperm'] = torch.randperm(50)
      outputs['dropout'] = F.dropout(torch.ones(8, 16), 0.3, True)
      outputs['normal'] = torch.randn(10).normal_(2, 3)
      outputs['uniform'] = torch.ones(10).uniform_(-1, 1)
    `);
    for (const k of Object.keys(mine)) assert.ok(mine[k]!.equal(theirs[k]!), `${k}: differs from PyTorch's stream`);
  });
});

test('setNumThreads / getNumThreads round-trip', () => {
  const original = getNumThreads();
  try {
    for (const n of [1, 2, 3]) {
      setNumThreads(n);
      assert.equal(getNumThreads(), n);
    }
    // Work still runs, and gives the same result, with one thread.
    setNumThreads(1);
    const r = scope(() => {
      manualSeed(0);
      const x = randn([64, 64]);
      return x.matmul(x).sum().item();
    });
    setNumThreads(2);
    const r2 = scope(() => {
      manualSeed(0);
      const x = randn([64, 64]);
      return x.matmul(x).sum().item();
    });
    assert.ok(Math.abs(r - r2) <= 1e-3 * Math.abs(r) + 1e-3);
  } finally {
    setNumThreads(original);
  }
  assert.equal(getNumThreads(), original);
});
