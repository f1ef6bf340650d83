/**
 * Flattens dimensions `startDim`..`endDim` into one (torch.nn.Flatten; defaults 1 and -1,
 * keeping the batch dimension).
 *
 * @example
 *   new Flatten().forward(x);   // [N, C, 1, 1] -> [N, C]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
