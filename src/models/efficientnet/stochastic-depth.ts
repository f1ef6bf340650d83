/**
 * Stochastic depth (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016) in
 * torchvision's "row" mode: while training, each sample's residual branch is zeroed with
 * probability p and the survivors scaled by 1 / (1 - p); the identity in eval mode.
 *
 * @example
 *   const sd = new StochasticDepth(0.1);
 *   const y = sd.forward(branch).add_(x);
 */
import { aten } from '../../native/aten.js';
import { scope } from '../../tensor/scope.js';
import { empty } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';

/** Stochastic depth in torchvision's "row" mode: while training, drops each sample's residual branch with probability `p`; the identity in eval mode. */
export class StochasticDepth extends Module {
  /** Probability of dropping a sample's branch, in [0, 1]. */
  readonly p: number;

  constructor(p: number) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`StochasticDepth: p must be in [0, 1], got ${p}`);
    this.p = p;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return scope(() => {
      const survival = 1 - this.p;
      const mask = empty([x.size(0), ...x.shape.slice(1).map(() => 1)], { dtype: x.dtype, device: x.device });
      aten('bernoulli_.float').callVoid(mask.handle, survival);
      if (survival > 0) mask.div_(survival);
      return x.mul(mask);
    });
  }
}
