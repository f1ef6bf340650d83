/**
 * Synchronised batch normalisation (torch.nn.SyncBatchNorm): while training, each channel is
 * normalised with the statistics of the *global* batch — every rank's images — instead of the
 * rank's own share. With small per-rank batches (high-resolution fine-grained training fits
 * few images per device) local statistics are noisy and differ between ranks; synchronised
 * ones equal a single process's on the global batch, so a data-parallel run matches it.
 *
 * Per step and layer: one sum over ranks of [Σx, Σx², count] in forward and one of their
 * gradients in backward (group.sumOverRanks, blocking — the pass cannot return to the event
 * loop midway). The sums are taken around the running mean (the same on every rank, as the
 * statistics are global), which keeps E[x²] − E[x]² from cancelling badly. In eval mode it is
 * a plain BatchNorm2d with the running statistics; the state dict has the same names, so a
 * checkpoint loads into either.
 *
 * Give it a group of its own (`await group.duplicate()`): on the gradient reducer's group its
 * sums in backward would queue behind gradient buckets in flight and undo their overlap.
 *
 * @example
 *   const replaced = convertSyncBatchNorm(model, await group.duplicate());   // before the GradientReducer
 */
import { noGrad } from '../autograd/grad-mode.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import type { Module } from '../nn/module.js';
import { tensor, zeros } from '../tensor/creation.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ProcessGroup } from './process-group.js';

/**
 * BatchNorm2d whose training statistics are those of the global batch over every rank of a
 * process group (torch.nn.SyncBatchNorm); in eval mode a plain BatchNorm2d. Usually made by
 * `convertSyncBatchNorm(model, group)`, which swaps every BatchNorm2d of a model.
 *
 * @example
 *   const replaced = convertSyncBatchNorm(model, await group.duplicate());
 */
export class SyncBatchNorm2d extends BatchNorm2d {
  /** The ranks whose batches are normalised together. */
  group: ProcessGroup | null = null;

  /** A synchronised layer sharing `bn`'s parameters, buffers and settings (nothing is copied). */
  static from(bn: BatchNorm2d, group: ProcessGroup): SyncBatchNorm2d {
    // Made without tensors of its own (the names registered empty); bn's take their place.
    const sync = new SyncBatchNorm2d(bn.numFeatures, { eps: bn.eps, momentum: bn.momentum, affine: false, trackRunningStats: false });
    for (const name of ['weight', 'bias'] as const) {
      const p = bn[name];
      const frozen = p !== null && !p.requiresGrad; // registering would switch a frozen one back on
      sync.registerParameter(name, p);
      if (frozen) p.requiresGrad_(false);
    }
    for (const name of ['running_mean', 'running_var', 'num_batches_tracked'] as const) sync.registerBuffer(name, bn[name]);
    sync.group = group;
    sync.train(bn.training);
    return sync;
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || !this.group) return super.forward(x);
    if (x.ndim !== 4) throw new Error(`SyncBatchNorm2d: expected a 4-D input [N, C, H, W], got [${x.shape}]`);
    const group = this.group;
    const c = this.numFeatures;
    const dims = [0, 2, 3];
    const xf = x.dtype === 'float32' ? x : x.float();
    const center = this.running_mean ? this.running_mean.detach().view([1, c, 1, 1]) : zeros([1, c, 1, 1]);
    const shifted = xf.sub(center);
    const local = cat([shifted.sum(dims), shifted.square().sum(dims), tensor([x.numel / c], { dtype: 'float32' })]);
    const global = group.sumOverRanks(local);
    const count = scope(() => global.narrow(0, 2 * c, 1).item());
    if (count <= 1) throw new Error(`SyncBatchNorm2d: expected more than 1 value per channel across ranks, got input [${x.shape}] on rank ${group.rank}`);
    const meanShift = global.narrow(0, 0, c).div(count);
    const variance = global.narrow(0, c, c).div(count).sub(meanShift.square()).clamp(0);
    const mean = meanShift.add(center.reshape([c]));
    this.updateRunningStats(mean, variance, count);
    let scale = variance.add(this.eps).rsqrt();
    if (this.weight) scale = scale.mul(this.weight);
    let y = shifted.sub(meanShift.view([1, c, 1, 1])).mul(scale.view([1, c, 1, 1]));
    if (this.bias) y = y.add(this.bias.view([1, c, 1, 1]));
    return y.dtype === x.dtype ? y : y.to({ dtype: x.dtype });
  }

  // As PyTorch: the running variance is the unbiased estimate over the global batch.
  private updateRunningStats(mean: Tensor, variance: Tensor, count: number): void {
    if (!this.running_mean || !this.running_var) return;
    const batches = this.num_batches_tracked!;
    noGrad(() => batches.add_(1));
    const factor = this.momentum ?? 1 / scope(() => batches.item());
    noGrad(() =>
      scope(() => {
        this.running_mean!.lerp_(mean.detach(), factor);
        this.running_var!.lerp_(variance.detach().mul(count / (count - 1)), factor);
      }),
    );
  }
}

/**
 * Replaces every BatchNorm2d in `model` by a SyncBatchNorm2d over `group`, sharing its tensors
 * (parameters keep their identity, so optimisers and reducers built later see the same ones).
 * Returns how many were replaced.
 */
export function convertSyncBatchNorm(model: Module, group: ProcessGroup): number {
  let replaced = 0;
  for (const [path, m] of model.namedModules()) {
    if (!path || m.constructor !== BatchNorm2d) continue;
    model.setSubmodule(path, SyncBatchNorm2d.from(m as BatchNorm2d, group));
    replaced++;
  }
  return replaced;
}
