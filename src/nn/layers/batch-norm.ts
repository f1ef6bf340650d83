/**
 * Batch normalisation over [N, C, H, W] (torch.nn.BatchNorm2d): normalises each channel
 * with batch statistics while training (updating `running_mean` / `running_var` and counting
 * batches in `num_batches_tracked`, an int64 scalar) and with the running statistics in eval
 * mode. Parameter and buffer names are PyTorch's, so checkpoints load as they are.
 *
 * @example
 *   const bn = new BatchNorm2d(64);
 *   const y = bn.forward(x);          // training: batch statistics
 *   bn.eval(); bn.forward(x);         // inference: running statistics
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { batchNorm } from '../functional/normalization.js';
import { Module } from '../module.js';
import { ones_, zeros_ } from '../init.js';

/** Options of `BatchNorm2d`, with PyTorch's defaults. */
export interface BatchNormLayerOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running averages (default 0.1); null keeps a cumulative
   * average over all batches seen.
   */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); false always uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over [N, C, H, W] (torch.nn.BatchNorm2d): batch statistics while
 * training, running statistics in eval mode; PyTorch's parameter and buffer names.
 *
 * @example
 *   const bn = new BatchNorm2d(64);
 */
export class BatchNorm2d extends Module {
  /** Per-channel scale gamma [C]; null without `affine`. */
  declare readonly weight: Tensor | null;
  /** Per-channel shift beta [C]; null without `affine`. */
  declare readonly bias: Tensor | null;
  /** Running per-channel mean [C], used in eval mode; null without `trackRunningStats`. */
  declare readonly running_mean: Tensor | null;
  /** Running per-channel variance [C] (unbiased), used in eval mode; null without `trackRunningStats`. */
  declare readonly running_var: Tensor | null;
  /** Training batches seen (an int64 scalar): the running average's step count when `momentum` is null. */
  declare readonly num_batches_tracked: Tensor | null;
  /** The number of channels C. */
  readonly numFeatures: number;
  /** Added to the variance for stability. */
  eps: number;
  /** Weight of each batch in the running statistics; null for a cumulative average. */
  momentum: number | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
    this.registerBuffer('running_mean', trackRunningStats ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', trackRunningStats ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', trackRunningStats ? zeros([], { dtype: 'int64' }) : null);
  }

  /** Running statistics back to mean 0, variance 1, no batches seen; affine back to 1 and 0. */
  resetParameters(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected a 4-D input [N, C, H, W], got [${x.shape}]`);
    let factor = this.momentum ?? 0;
    const track = this.running_mean !== null;
    if (this.training && track) {
      const count = this.num_batches_tracked!;
      noGrad(() => count.add_(1));
      if (this.momentum === null) factor = 1 / count.item();
    }
    // Without running statistics, batch statistics are used even in eval mode (as PyTorch).
    const useBatchStats = this.training || !track;
    const stats = !this.training || track;
    return batchNorm(x, stats ? this.running_mean : null, stats ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }
}
