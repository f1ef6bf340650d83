// CUDA-marked (run by scripts/device-check.sh; skipped without a GPU or without NCCL): a NCCL
// group of one on 'cuda' - the collectives on GPU tensors, and the gradient reducer leaving one
// rank's gradients as they are (the average over one rank). NCCL refuses two ranks on one GPU,
// so a one-GPU machine checks the binding, not the cross-GPU arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cuda, distributed, Linear, manualSeed, randn, scope, tensor } from '../../src/index.js';
import { assertClose } from '../support/assert-close.js';
import { freePort } from '../distributed/workers.js';

const skip = !cuda.isAvailable()
  ? 'no CUDA device (this addon or machine has none)'
  : !distributed.distributedBackends().nccl
    ? 'this addon was built without NCCL (a CUDA libtorch with nccl.h is needed)'
    : false;

test('a NCCL group of one: allReduce, broadcast, allGather and barrier on cuda tensors', { skip, timeout: 120_000 }, async () => {
  const group = await distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 60_000 });
  try {
    const t = tensor([1, 2, 3]).to({ device: 'cuda' }).keep();
    try {
      await group.allReduce(t);
      assert.equal(t.device, 'cuda:0');
      assert.deepEqual(t.to({ device: 'cpu' }).float().toArray(), [1, 2, 3]);
      await group.broadcast(t, { root: 0 });
      const gathered = await group.allGather(t);
      assert.equal(gathered.length, 1);
      assert.deepEqual(gathered[0]!.to({ device: 'cpu' }).float().toArray(), [1, 2, 3]);
      for (const g of gathered) g.dispose();
      await group.barrier();
    } finally {
      t.dispose();
    }
  } finally {
    group.destroy();
  }
});

test('the gradient reducer over NCCL leaves one rank its own gradients (cuda)', { skip, timeout: 120_000 }, async () => {
  const group = await distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1, masterPort: await freePort(), timeoutMs: 60_000 });
  manualSeed(0);
  const layer = new Linear(16, 4);
  layer.to({ device: 'cuda' });
  const reducer = new distributed.GradientReducer(group, layer.parameters());
  try {
    const x = randn([8, 16], { device: 'cuda' }).keep();
    // Plain gradients first (no reducer armed), then the same backward through the reducer.
    const plain = scope(() => {
      layer.forward(x).square().sum().backward();
      return layer.parameters().map((p) => p.grad!.to({ device: 'cpu' }).keep());
    });
    layer.zeroGrad();
    scope(() => reducer.backward(layer.forward(x).square().sum()));
    layer.parameters().forEach((p, i) => assertClose(p.grad!.to({ device: 'cpu' }), plain[i]!, { atol: 1e-6, rtol: 1e-5 }));
    for (const t of plain) t.dispose();
    x.dispose();
  } finally {
    reducer.dispose();
    layer.dispose();
    group.destroy();
  }
});
