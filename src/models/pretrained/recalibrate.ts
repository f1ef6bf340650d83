/**
 * Re-estimating BatchNorm statistics on real images without changing what the model computes
 * in eval mode. Needed before fine-tuning a model whose BatchNorms were folded away (the ONNX
 * MobileNetV2: running_mean 0, running_var 1 - eps, weight 1): in training mode a BatchNorm
 * normalises with batch statistics, and with those placeholder parameters the pretrained
 * features would be rescaled to unit variance at the first step. After recalibration each
 * BatchNorm's running statistics are the measured mean and variance of its input, and its
 * affine parameters are rescaled so that eval mode is unchanged:
 *
 *   w' = w * sqrt(v + eps) / sqrt(rv + eps)
 *   b' = b + w * (mu - rm) / sqrt(rv + eps)
 *   rm' = mu, rv' = v
 *
 * (`(y - mu) * w' / sqrt(v + eps) + b'` equals `(y - rm) * w / sqrt(rv + eps) + b` for every
 * y), so training-mode batches with statistics close to (mu, v) see nearly the pretrained
 * function too.
 *
 * @example
 *   const model = loadPretrainedModel('mobilenet_v2', { numClasses: 100 });
 *   recalibrateBatchNorm(model, trainBatches.slice(0, 8));   // a few hundred training images
 *   model.train();                                           // fine-tune with BatchNorm in train mode
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { BatchNorm2d } from '../../nn/layers/batch-norm.js';
import { Module } from '../../nn/module.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Stands in for a BatchNorm while batches run: keeps its input's per-channel count, mean and
 * variance over all batches so far, then applies the BatchNorm.
 */
class StatsRecorder extends Module {
  count = 0;
  mean: Tensor | null = null;
  /** Sum of squared deviations from `mean` (float64). */
  m2: Tensor | null = null;

  constructor(readonly bn: BatchNorm2d) {
    super();
  }

  forward(x: Tensor): Tensor {
    noGrad(() => this.#add(x));
    return this.bn.forward(x);
  }

  // Each batch's mean and variance come from ATen's reductions in the input's dtype
  // (Welford, so no cancellation); batches are merged in float64 with Chan et al.'s formula.
  #add(x: Tensor): void {
    const n = x.numel / x.shape[1]!;
    const [mean, m2] = scope(() => {
      const dims = [0, 2, 3];
      const bMean = x.mean(dims).to({ dtype: 'float64' });
      const bM2 = x.var(dims, { correction: 0 }).to({ dtype: 'float64' }).mul(n);
      if (!this.mean || !this.m2) return [bMean, bM2];
      const total = this.count + n;
      const delta = bMean.sub(this.mean);
      return [this.mean.add(delta.mul(n / total)), this.m2.add(bM2).add(delta.square().mul((this.count * n) / total))];
    });
    this.release();
    this.mean = mean.keep();
    this.m2 = m2.keep();
    this.count += n;
  }

  /** The input's per-channel mean and (biased) variance over every batch seen. */
  statistics(): { mean: Tensor; variance: Tensor } | null {
    if (!this.mean || !this.m2) return null;
    return { mean: this.mean, variance: this.m2.div(this.count) };
  }

  /** Frees the statistics (the BatchNorm itself is not this module's to free). */
  release(): void {
    this.mean?.dispose();
    this.m2?.dispose();
  }
}

/**
 * Runs `batches` (normalised float images) through `model` in eval mode, measures every
 * affine BatchNorm2d's input statistics, and reparametrises each BatchNorm as above. The model's
 * eval-mode output is unchanged (up to float rounding); its mode is restored afterwards.
 * Returns the number of BatchNorms recalibrated.
 *
 * @example
 *   const n = recalibrateBatchNorm(model, [x1, x2, x3]);   // each [N, 3, H, W]
 */
export function recalibrateBatchNorm(model: Module, batches: Iterable<Tensor>): number {
  // Only affine BatchNorms with running statistics can absorb the change of statistics.
  const norms = model
    .namedModules()
    .filter((e): e is [string, BatchNorm2d] => e[1] instanceof BatchNorm2d && e[1].running_mean !== null && e[1].weight !== null && e[1].bias !== null);
  const modes = model.modules().map((m) => [m, m.training] as const);
  const recorders = norms.map(([path, bn]) => {
    const r = new StatsRecorder(bn);
    model.setSubmodule(path, r);
    return r;
  });
  try {
    model.eval();
    let seen = 0;
    for (const x of batches) {
      noGrad(() => scope(() => void model.forward(x)));
      seen++;
    }
    if (!seen) throw new Error('recalibrateBatchNorm: no batches given');
    noGrad(() =>
      scope(() => {
        for (const r of recorders) {
          const bn = r.bn;
          const stats = r.statistics();
          if (!stats) continue; // a BatchNorm the forward pass never reached
          const { mean: mu, variance: v } = stats;
          const oldStd = bn.running_var!.to({ dtype: 'float64' }).add(bn.eps).sqrt();
          const newStd = v.add(bn.eps).sqrt();
          const scale = bn.weight!.to({ dtype: 'float64' }).div(oldStd);
          const shift = scale.mul(mu.sub(bn.running_mean!.to({ dtype: 'float64' })));
          bn.weight!.copy_(scale.mul(newStd));
          bn.bias!.copy_(bn.bias!.to({ dtype: 'float64' }).add(shift));
          bn.running_mean!.copy_(mu);
          bn.running_var!.copy_(v);
        }
      }),
    );
  } finally {
    norms.forEach(([path, bn], i) => {
      model.setSubmodule(path, bn);
      recorders[i]!.release();
    });
    for (const [m, training] of modes) m.training = training;
  }
  return norms.length;
}
