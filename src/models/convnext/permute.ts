/**
 * Reorders dimensions inside a `Sequential` (torchvision's `ops.misc.Permute`): ConvNeXt
 * blocks switch to channels-last for their LayerNorm and MLP and back. A view, no copy.
 *
 * @example
 *   const toNhwc = new Permute([0, 2, 3, 1]);
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';

export class Permute extends Module {
  readonly dims: number[];

  constructor(dims: readonly number[]) {
    super();
    this.dims = [...dims];
  }

  forward(x: Tensor): Tensor {
    return x.permute(...this.dims);
  }
}
