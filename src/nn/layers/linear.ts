/**
 * Fully connected layer (torch.nn.Linear): y = x Wᵀ + b over the last dimension, with
 * `weight` [out, in] and `bias` [out], initialised as PyTorch does.
 *
 * @example
 *   const fc = new Linear(2048, 200);
 *   const logits = fc.forward(embedding);   // [N, 2048] -> [N, 200]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { empty, zeros } from '../../tensor/creation.js';
import { linear } from '../functional/linear.js';
import { Module } from '../module.js';
import { addFlops, flopsCounting } from '../flops.js';
import { kaimingUniform_, uniform_ } from '../init.js';

/**
 * A fully connected layer (torch.nn.Linear): y = x Wᵀ + b over the last dimension.
 *
 * @example
 *   const fc = new Linear(2048, 200);   // [N, 2048] -> [N, 200]
 */
export class Linear extends Module {
  /** The weight matrix [outFeatures, inFeatures]. */
  declare readonly weight: Tensor;
  /** The bias [outFeatures], or null when made with `bias: false`. */
  declare readonly bias: Tensor | null;
  /** Size of each input vector (the last input dimension). */
  readonly inFeatures: number;
  /** Size of each output vector. */
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.registerParameter('weight', empty([outFeatures, inFeatures]));
    this.registerParameter('bias', (options.bias ?? true) ? empty([outFeatures]) : null);
    this.resetParameters();
  }

  /** PyTorch's default: Kaiming-uniform (a = √5) weight, bias U(±1/√in). */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    if (flopsCounting()) {
      // A FLOP count needs shapes only: skip the arithmetic, pass zeros of the output's shape on.
      const y = zeros([...x.shape.slice(0, -1), this.outFeatures], { dtype: x.dtype, device: x.device });
      addFlops(y.numel * this.inFeatures);
      return y;
    }
    return linear(x, this.weight, this.bias);
  }
}
