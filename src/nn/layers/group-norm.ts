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

/**
 * Group normalisation (torch.nn.GroupNorm): statistics per group of channels and per image,
 * so it does not depend on the batch size.
 *
 * @example
 *   const gn = new GroupNorm(32, 256);   // x [N, 256, H, W]
 */
export class GroupNorm extends Module {
  /** Per-channel scale [C]; null without `affine`. */
  declare readonly weight: Tensor | null;
  /** Per-channel shift [C]; null without `affine`. */
  declare readonly bias: Tensor | null;
  /** Groups the channels are split into. */
  readonly numGroups: number;
  /** The number of channels C (a multiple of `numGroups`). */
  readonly numChannels: number;
  /** Added to the variance for stability (default 1e-5). */
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
