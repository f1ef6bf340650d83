/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): the update of torch.optim.AdamW in
 * PyTorch 1.13, optionally with AMSGrad.
 *
 *   t = t + 1
 *   p = p * (1 - lr * weightDecay)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   vMax = max(vMax, v)                                (amsgrad; then vMax replaces v below)
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * @example
 *   const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0.05 });
 *   loss.backward();
 *   opt.step();
 *   opt.zeroGrad();
 */
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { foreach } from './foreach.js';
import { Optimizer, type ParamGroup, type ParamGroupInput } from './optimizer.js';

/** AdamW's hyperparameters, per parameter group; the constructor takes any subset and fills in PyTorch's defaults. */
export interface AdamWOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Decoupled weight decay (default 1e-2, as in PyTorch). */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad). */
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

const DEFAULTS: AdamWOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false };

/**
 * Adam with decoupled weight decay, as torch.optim.AdamW (PyTorch 1.13), optionally AMSGrad:
 * the usual optimiser for transformers and for fine-tuning.
 *
 * @example
 *   const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Tensor[] | ParamGroupInput<AdamWOptions>[], options: Partial<AdamWOptions> = {}) {
    super(params, { ...DEFAULTS, ...options });
  }

  protected validate(h: AdamWOptions): void {
    if (!(h.lr >= 0)) throw new RangeError(`AdamW: invalid learning rate ${h.lr}`);
    if (!(h.eps >= 0)) throw new RangeError(`AdamW: invalid eps ${h.eps}`);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new TypeError('AdamW: betas must be [beta1, beta2]');
    h.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new RangeError(`AdamW: invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(h.weightDecay >= 0)) throw new RangeError(`AdamW: invalid weightDecay ${h.weightDecay}`);
  }

  protected updateGroup(group: ParamGroup<AdamWOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    if (maximize) grads = foreach.neg(grads);
    const states = params.map((p) => {
      const s = this.stateOf(p);
      if (s.step === undefined) {
        s.step = 0;
        s.expAvg = zerosLike(p).keep();
        s.expAvgSq = zerosLike(p).keep();
      }
      // Also when amsgrad is switched on mid-training.
      if (amsgrad && !s.maxExpAvgSq) s.maxExpAvgSq = zerosLike(p).keep();
      s.step = (s.step as number) + 1;
      return s;
    });
    const expAvgs = states.map((s) => s.expAvg as Tensor);
    const expAvgSqs = states.map((s) => s.expAvgSq as Tensor);

    if (weightDecay !== 0) foreach.mul_(params, 1 - lr * weightDecay);
    foreach.mul_(expAvgs, beta1);
    foreach.add_(expAvgs, grads, 1 - beta1);
    foreach.mul_(expAvgSqs, beta2);
    foreach.addcmul_(expAvgSqs, grads, grads, 1 - beta2);
    let second = expAvgSqs;
    if (amsgrad) {
      second = states.map((s) => s.maxExpAvgSq as Tensor);
      foreach.maximum_(second, expAvgSqs);
    }

    // Bias corrections depend on each parameter's step count; parameters that missed steps
    // (no gradient) have fewer, so update each step count's parameters together.
    const byStep = new Map<number, number[]>();
    states.forEach((s, i) => {
      const list = byStep.get(s.step as number);
      if (list) list.push(i);
      else byStep.set(s.step as number, [i]);
    });
    for (const [step, idx] of byStep) {
      const pick = (ts: Tensor[]) => (idx.length === ts.length ? ts : idx.map((i) => ts[i]!));
      const stepSize = lr / (1 - beta1 ** step);
      const denom = foreach.sqrt(pick(second));
      foreach.div_(denom, Math.sqrt(1 - beta2 ** step));
      foreach.add_(denom, eps);
      foreach.addcdiv_(pick(params), pick(expAvgs), denom, -stepSize);
    }
  }
}
