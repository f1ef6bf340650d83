/**
 * The program each distributed test worker runs (see workers.ts), by mode:
 * - `collectives`: allReduce (sum, avg, max), broadcast, allGather, barrier; prints the values;
 * - `train <steps> <globalBatch> [single] [bn=local|sync] [view] [accumulate] [fp16]`: a small MLP+conv model (without
 *   BatchNorm, or with one after the conv: local, or synchronised with convertSyncBatchNorm)
 *   trained with SGD on seeded data, each rank its shard, gradients through the
 *   GradientReducer (`view`: gradients as bucket views, zeroed in place; `accumulate`: each rank's batch as two
 *   micro-batches, the first accumulated locally without the reducer, DDP's no_sync; `fp16`: float16 gradient
 *   compression); `single` trains the whole global batch in one process; prints the final
 *   weights and buffers;
 * - `hang-after-ready`: joins the group, prints "ready", then all-reduces forever (killed by
 *   the test);
 * - `init-only`: joins the group and exits (for the rendezvous error tests).
 * Errors go to stderr and exit 1, as the CLI does.
 */
import { BatchNorm2d, Conv2d, crossEntropy, relu, distributed, Linear, manualSeed, Module, randn, scope, SGD, tensor, type Tensor } from '../../src/index.js';

const { initProcessGroup, GradientReducer, broadcastModule, convertSyncBatchNorm, shardOrder } = distributed;

function out(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

async function collectives(): Promise<void> {
  const group = await initProcessGroup({ timeoutMs: 20_000 });
  const r = group.rank;
  const a = tensor([r + 1, 10 * (r + 1)]);
  await group.allReduce(a);
  const b = tensor([r + 1, 2]);
  await group.allReduce(b, { op: 'avg' });
  const c = tensor([r, -r]);
  await group.allReduce(c, { op: 'max' });
  const d = r === 1 ? tensor([7, 8, 9]) : tensor([0, 0, 0]);
  await group.broadcast(d, { root: 1 });
  const gathered = await group.allGather(tensor([[r, r * r]]));
  await group.barrier();
  out({
    rank: r,
    sum: Array.from(a.toTypedArray(), Number),
    avg: Array.from(b.toTypedArray(), Number),
    max: Array.from(c.toTypedArray(), Number),
    broadcast: Array.from(d.toTypedArray(), Number),
    gathered: gathered.map((t) => Array.from(t.toTypedArray(), Number)),
  });
  group.destroy();
}

class Net extends Module {
  conv = this.registerModule('conv', new Conv2d(3, 8, 3, { padding: 1 }));
  declare bn: BatchNorm2d | null;
  fc1 = this.registerModule('fc1', new Linear(8 * 8 * 8, 32));
  fc2 = this.registerModule('fc2', new Linear(32, 5));
  constructor(withBatchNorm: boolean) {
    super();
    this.bn = this.registerModule('bn', withBatchNorm ? new BatchNorm2d(8) : null);
  }
  forward(x: Tensor): Tensor {
    const c = this.conv.forward(x);
    const h = relu(this.bn ? this.bn.forward(c) : c).flatten(1);
    return this.fc2.forward(relu(this.fc1.forward(h)));
  }
}

async function trainRun(
  steps: number,
  globalBatch: number,
  single: boolean,
  bn: 'none' | 'local' | 'sync',
  view = false,
  accumulate = false,
  fp16 = false,
): Promise<void> {
  const group = single ? null : await initProcessGroup({ timeoutMs: Number(process.env.FG_TEST_TIMEOUT_MS ?? 30_000) });
  const rank = group?.rank ?? 0;
  const world = group?.worldSize ?? 1;
  // Different seeds per rank: only the broadcast from rank 0 makes them start equal.
  manualSeed(single ? 1 : 1 + rank);
  const net = new Net(bn !== 'none');
  if (group) await broadcastModule(group, net);
  const statsGroup = group && bn === 'sync' ? await group.duplicate() : null;
  const synced = statsGroup ? convertSyncBatchNorm(net, statsGroup) : 0;
  manualSeed(99);
  const images = randn([steps * globalBatch, 3, 8, 8]);
  const labels = tensor(
    Array.from({ length: steps * globalBatch }, (_, i) => (i * 7) % 5),
    { dtype: 'int64' },
  );
  const order = Array.from({ length: steps * globalBatch }, (_, i) => (i * 13) % (steps * globalBatch));
  const mine = shardOrder(order, rank, world);
  const perRank = globalBatch / world;
  const reducer = group
    ? new GradientReducer(group, net.parameters(), {
        bucketCapMb: 0.005,
        firstBucketMb: 0.001,
        gradientAsBucketView: view,
        gradientCompression: fp16 ? 'fp16' : 'none',
      })
    : null;
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  for (let s = 0; s < steps; s++) {
    if (s === 1) process.stdout.write('ready\n'); // for the kill test: the reducer has run once
    scope(() => {
      const rows = mine.slice(s * perRank, (s + 1) * perRank);
      const parts = accumulate ? [rows.slice(0, perRank / 2), rows.slice(perRank / 2)] : [rows];
      parts.forEach((part, k) => {
        const idx = tensor(part, { dtype: 'int64' });
        const loss = crossEntropy(net.forward(images.indexSelect(0, idx)), labels.indexSelect(0, idx)).div(parts.length);
        if (reducer && k === parts.length - 1) reducer.backward(loss);
        else loss.backward();
      });
      opt.step();
      opt.zeroGrad(!view);
    });
  }
  out({
    rank,
    synced,
    buckets: reducer?.bucketSizes().length ?? 0,
    weights: net.parameters().map((p) => Array.from(p.toTypedArray(), Number)),
    buffers: net.buffers().map((b) => Array.from(b.toTypedArray(), Number)),
  });
  reducer?.dispose();
  statsGroup?.destroy();
  group?.destroy();
}

async function hangAfterReady(): Promise<void> {
  const group = await initProcessGroup({ timeoutMs: Number(process.env.FG_TEST_TIMEOUT_MS ?? 20_000) });
  const t = tensor([1]);
  await group.allReduce(t);
  out({ rank: group.rank, ready: true });
  process.stdout.write('ready\n');
  for (;;) await group.allReduce(t);
}

async function initOnly(): Promise<void> {
  const group = await initProcessGroup({ timeoutMs: Number(process.env.FG_TEST_TIMEOUT_MS ?? 20_000) });
  out({ rank: group.rank, ok: true });
  group.destroy();
}

const [mode, ...rest] = process.argv.slice(2);
const jobs: Record<string, () => Promise<void>> = {
  collectives,
  train: () =>
    trainRun(
      Number(rest[0]),
      Number(rest[1]),
      rest.includes('single'),
      (rest.find((a) => a.startsWith('bn='))?.slice(3) ?? 'none') as 'none' | 'local' | 'sync',
      rest.includes('view'),
      rest.includes('accumulate'),
      rest.includes('fp16'),
    ),
  'hang-after-ready': hangAfterReady,
  'init-only': initOnly,
};
// exitCode, not process.exit(): exiting at once would cut off output still in the pipe.
try {
  await jobs[mode!]!();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
