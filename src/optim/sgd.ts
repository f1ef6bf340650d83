/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled)
 * weight decay: the update of torch.optim.SGD in PyTorch 1.13.
 *
 *   d = g + weightDecay * p                       (g negated when maximize)
 *   b = d                       on the first step
 *   b = momentum * b + (1 - dampening) * d        afterwards
 *   d = nesterov ? d + momentum * b : b           (when momentum != 0)
 *   p = p - lr * d
 *
 * @example
 *   const opt = new SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
 *   loss.backward();
 *   opt.step();
 *   opt.zeroGrad();
 */
import type { Tensor } from '../tensor/tensor.js';
import { foreach } from './foreach.js';
import { Optimizer, type ParamGroup, type ParamGroupInput } from './optimizer.js';

/** SGD's hyperparameters, per parameter group; `lr` is required, the rest default as in PyTorch. */
export interface SGDOptions {
  /** Learning rate: the step size. Required (PyTorch has no default either). */
  lr: number;
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening of the gradient in the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

const DEFAULTS: Omit<SGDOptions, 'lr'> = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
 * as torch.optim.SGD (PyTorch 1.13): the classic optimiser for training CNNs from scratch and
 * for the FGVC recipe's fine-tuning.
 *
 * @example
 *   const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
 */
export class SGD extends Optimizer<SGDOptions> {
  /** `lr` is required, as in PyTorch; every other option defaults as there. */
  constructor(params: Tensor[] | ParamGroupInput<SGDOptions>[], options: Partial<SGDOptions> & { lr: number }) {
    super(params, { ...DEFAULTS, ...options });
  }

  protected validate(h: SGDOptions): void {
    if (!(h.lr >= 0)) throw new RangeError(`SGD: invalid learning rate ${h.lr}`);
    if (!(h.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${h.momentum}`);
    if (!(h.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay ${h.weightDecay}`);
    if (!Number.isFinite(h.dampening)) throw new RangeError(`SGD: invalid dampening ${h.dampening}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateGroup(group: ParamGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    // New tensors from here on: the parameters' .grad must not change.
    let d = maximize ? foreach.neg(grads) : grads;
    if (weightDecay !== 0) d = foreach.add(d, params, weightDecay);
    if (momentum !== 0) {
      const oldBufs: Tensor[] = [];
      const oldD: Tensor[] = [];
      const bufs = params.map((p, i) => {
        const s = this.stateOf(p);
        const b = s.momentumBuffer as Tensor | undefined;
        if (b) {
          oldBufs.push(b);
          oldD.push(d[i]!);
          return b;
        }
        // The first step starts the buffer at the gradient itself (no dampening), as PyTorch does.
        return (s.momentumBuffer = d[i]!.clone().keep());
      });
      foreach.mul_(oldBufs, momentum);
      foreach.add_(oldBufs, oldD, 1 - dampening);
      d = nesterov ? foreach.add(d, bufs, momentum) : bufs;
    }
    foreach.add_(params, d, -lr);
  }
}
