// Synchronised BatchNorm (src/distributed/sync-batch-norm.ts). In one process, over a group of
// one, it computes what BatchNorm2d computes (outputs, gradients, running statistics); over two
// processes, a data-parallel run with it ends with the weights and running statistics of one
// process on the whole global batch — which local BatchNorm does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d, distributed, manualSeed, randn, scope, Sequential, Conv2d, type Tensor } from '../../src/index.js';
import { freePort, maxRelative, runWorkers } from './workers.js';

const skip = distributed.distributedBackends().gloo ? false : 'this addon was built without distributed support (libgloo-dev missing)';

function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray(), Number);
}

function closeTo(actual: Tensor, expected: Tensor, what: string, tol = 1e-5): void {
  const a = values(actual);
  const e = values(expected);
  assert.equal(a.length, e.length, what);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - e[i]!) / Math.max(1, Math.abs(e[i]!))));
  assert.ok(worst < tol, `${what}: max difference ${worst}`);
}

test('over a group of one it equals BatchNorm2d: outputs, input and affine gradients, running statistics, eval', { skip, timeout: 60_000 }, async () => {
  const group = await distributed.initProcessGroup({ rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 20_000 });
  try {
    for (const momentum of [0.1, null]) {
      manualSeed(3);
      const plain = new BatchNorm2d(4, { momentum });
      const twin = new BatchNorm2d(4, { momentum });
      scope(() => {
        twin.weight!.detach().copy_(randn([4]));
        twin.bias!.detach().copy_(randn([4]));
        plain.weight!.detach().copy_(twin.weight!);
        plain.bias!.detach().copy_(twin.bias!);
      });
      const model = new Sequential([twin]);
      assert.equal(distributed.convertSyncBatchNorm(model, group), 1);
      const sync = model.getSubmodule('0');
      assert.ok(sync instanceof distributed.SyncBatchNorm2d);
      assert.equal((sync as BatchNorm2d).weight, twin.weight, 'the parameters are shared, not copied');
      for (let step = 0; step < 3; step++) {
        scope(() => {
          // Offset inputs: the running mean moves away from 0, so the centring is exercised.
          const x = randn([5, 4, 3, 3])
            .mul(2)
            .add(3 + step);
          const xa = x.detach().requiresGrad_(true);
          const xb = x.detach().requiresGrad_(true);
          const ya = plain.forward(xa);
          const yb = sync.forward(xb) as Tensor;
          closeTo(yb, ya, `output (momentum ${momentum}, step ${step})`);
          const g = randn([5, 4, 3, 3]);
          ya.mul(g).sum().backward();
          yb.mul(g).sum().backward();
          closeTo(xb.grad!, xa.grad!, 'input gradient');
          closeTo(twin.weight!.grad!, plain.weight!.grad!, 'weight gradient');
          closeTo(twin.bias!.grad!, plain.bias!.grad!, 'bias gradient');
          plain.zeroGrad();
          twin.zeroGrad();
        });
        closeTo(twin.running_mean!, plain.running_mean!, 'running mean');
        closeTo(twin.running_var!, plain.running_var!, 'running variance');
        assert.deepEqual(values(twin.num_batches_tracked!), values(plain.num_batches_tracked!));
      }
      plain.eval();
      sync.eval();
      scope(() => {
        const x = randn([2, 4, 3, 3]);
        closeTo(sync.forward(x) as Tensor, plain.forward(x), 'eval output');
      });
      plain.dispose();
      model.dispose();
    }
  } finally {
    group.destroy();
  }
});

test('conversion keeps frozen parameters frozen and leaves other layers alone', { skip, timeout: 60_000 }, async () => {
  const group = await distributed.initProcessGroup({ rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 20_000 });
  try {
    const model = new Sequential([new Conv2d(3, 4, 3), new BatchNorm2d(4), new BatchNorm2d(4)]);
    (model.getSubmodule('1') as BatchNorm2d).weight!.requiresGrad_(false);
    const before = model.parameters();
    assert.equal(distributed.convertSyncBatchNorm(model, group), 2);
    assert.equal(model.getSubmodule('0').constructor, Conv2d);
    assert.deepEqual(model.parameters(), before);
    assert.equal((model.getSubmodule('1') as BatchNorm2d).weight!.requiresGrad, false);
    assert.equal((model.getSubmodule('2') as BatchNorm2d).weight!.requiresGrad, true);
    model.dispose();
  } finally {
    group.destroy();
  }
});

test('2 ranks with synchronised BatchNorm end with the weights and statistics of 1 process; local BatchNorm does not', { skip, timeout: 200_000 }, async () => {
  const steps = '4';
  const batch = '8';
  const [single] = await runWorkers(1, ['train', steps, batch, 'single', 'bn=local'], { port: 0, deadlineMs: 60_000, env: { WORLD_SIZE: '' } });
  assert.equal(single!.code, 0, single!.stderr);
  const run = async (bn: string) => {
    const ranks = await runWorkers(2, ['train', steps, batch, `bn=${bn}`], { port: await freePort(), deadlineMs: 80_000 });
    for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} (bn=${bn}): ${r.stderr}`);
    return ranks;
  };
  const synced = await run('sync');
  assert.equal(synced[0]!.json.synced, 1);
  assert.deepEqual(synced[0]!.json.weights, synced[1]!.json.weights, 'ranks diverged');
  assert.deepEqual(synced[0]!.json.buffers, synced[1]!.json.buffers, 'running statistics diverged');
  const rel = maxRelative(synced[0]!.json.weights, single!.json.weights);
  assert.ok(rel < 1e-5, `weights: max relative difference ${rel}`);
  const relStats = maxRelative(synced[0]!.json.buffers, single!.json.buffers);
  assert.ok(relStats < 1e-5, `running statistics: max relative difference ${relStats}`);
  // The control: each rank normalising its own 4 images gives other weights, so the
  // comparison above can fail.
  const local = await run('local');
  const relLocal = maxRelative(local[0]!.json.weights, single!.json.weights);
  console.log(
    `sync BatchNorm vs 1 process: weights ${rel.toExponential(2)}, statistics ${relStats.toExponential(2)}; local BatchNorm: ${relLocal.toExponential(2)}`,
  );
  assert.ok(relLocal > 1e-4, 'local BatchNorm should differ from the global batch');
});
