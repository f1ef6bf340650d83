/**
 * bench/pretrain's throughput part: MAE pretraining steps per second, finegrain against the
 * PyTorch peer (torch_mae.py) on identical work — the same model, masking, norm-pix loss and
 * AdamW step, on a fixed random batch, same thread count — in fp32 and in bf16 autocast. The
 * two processes take turns in rounds (which goes first alternates); the ratio is judged on the
 * median of per-round ratios.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { randn, scope } from '../../src/index.js';
import { autocast } from '../../src/autograd/autocast.js';
import { AdamW } from '../../src/optim/adamw.js';
import { parameterGroups } from '../../src/nn/parameter-groups.js';
import { cacheHostMemory, manualSeed, setNumThreads } from '../../src/runtime/settings.js';
import { TIMM_VIT } from '../../src/models/vit/timm-vit.js';
import { MaskedAutoencoder, defaultDecoder } from '../../src/pretrain/mae/masked-autoencoder.js';

/** What one measurement runs. */
export interface ThroughputConfig {
  model: string;
  imageSize: number;
  patchSize: number;
  batchSize: number;
  maskRatio: number;
  precision: 'float32' | 'bfloat16';
  threads: number;
  warmup: number;
  steps: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** finegrain's median step time in ms. */
export function finegrainSteps(c: ThroughputConfig): number {
  setNumThreads(c.threads);
  manualSeed(0);
  const model = new MaskedAutoencoder({ model: c.model, imageSize: c.imageSize, patchSize: c.patchSize });
  model.train();
  const opt = new AdamW(parameterGroups(model, { weightDecay: 0.05 }), { lr: 1e-4, betas: [0.9, 0.95] });
  const x = randn([c.batchSize, 3, c.imageSize, c.imageSize]);
  const mixed = c.precision === 'bfloat16' ? <T>(fn: () => T) => autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, fn) : undefined;
  const times: number[] = [];
  // As pretrain() runs its loop: freed step memory stays in the process for the next step.
  cacheHostMemory(true);
  try {
    for (let i = 0; i < c.warmup + c.steps; i++) {
      const t0 = performance.now();
      scope(() => model.forwardLoss(x, { maskRatio: c.maskRatio, normPixLoss: true, autocast: mixed }).loss.backward());
      opt.step();
      opt.zeroGrad();
      if (i >= c.warmup) times.push(performance.now() - t0);
    }
  } finally {
    cacheHostMemory(false);
    x.dispose();
    model.dispose();
  }
  return median(times);
}

/** The peer's median step time in ms. */
export function torchSteps(c: ThroughputConfig, python: string): number {
  const vit = TIMM_VIT[c.model]!;
  const dec = defaultDecoder(c.model);
  const cfg = {
    ...c,
    embedDim: vit.embedDim,
    depth: vit.depth,
    heads: vit.numHeads,
    decoderDim: dec.dim,
    decoderDepth: dec.depth,
    decoderHeads: Math.round(dec.dim / 32),
  };
  const r = spawnSync(python, [join(import.meta.dirname, '../../../bench/pretrain/torch_mae.py'), JSON.stringify(cfg)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(c.threads) },
  });
  if (r.status !== 0) throw new Error(`torch_mae.py failed: ${r.stderr}`);
  return median(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { ms: number }).ms),
  );
}
