/**
 * Group normalisation (torch.nn.GroupNorm): channels split into `numGroups` groups, each
 * normalised over its channels and spatial positions, then a per-channel affine map.
 * Independent of the batch size, so it suits small fine-tuning batches.
 *
 * @example
 *   const gn = new GroupNorm(32, 256);
 *   const y = gn.forward(x);   // x [N, 256, H, W]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/creation.js';
import { groupNorm } from '../functional/normalization.js';
import { Module } from '../module.js';

export class GroupNorm extends Module {
  declare readonly weight: Tensor | null;
  declare readonly bias: Tensor | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups) throw new RangeError(`GroupNorm: ${numChannels} channels do not split into ${numGroups} groups`);
    const { eps = 1e-5, affine = true } = options;
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.registerParameter('weight', affine ? ones([numChannels]) : null);
    this.registerParameter('bias', affine ? zeros([numChannels]) : null);
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}
