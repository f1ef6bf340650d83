/**
 * Flattens dimensions `startDim`..`endDim` into one (torch.nn.Flatten; defaults 1 and -1,
 * keeping the batch dimension).
 *
 * @example
 *   new Flatten().forward(x);   // [N, C, 1, 1] -> [N, C]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Merges dimensions `startDim`..`endDim` into one (torch.nn.Flatten): [N, C, 1, 1] -> [N, C] by default. */
export class Flatten extends Module {
  /** First dimension merged (default 1, keeping the batch dimension). */
  readonly startDim: number;
  /** Last dimension merged (default -1, the last). */
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
