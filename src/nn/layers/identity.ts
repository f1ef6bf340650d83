/**
 * The identity layer (torch.nn.Identity): returns its input unchanged. A placeholder where an
 * optional layer is switched off, keeping the surrounding names.
 *
 * @example
 *   const maybeSe = useSe ? new SqueezeExcite(c) : new Identity();
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** A layer that returns its input: the placeholder where an optional layer is switched off. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
