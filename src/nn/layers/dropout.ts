/**
 * Dropout (torch.nn.Dropout): while training, zeroes elements with probability `p` and
 * scales the rest by 1 / (1 - p); the identity in eval mode.
 *
 * @example
 *   const drop = new Dropout(0.2);
 *   const h = drop.forward(x);   // random in train(), x itself in eval()
 */
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../functional/dropout.js';
import { Module } from '../module.js';

/** Dropout (torch.nn.Dropout): zeroes elements at random while training, the identity in eval mode. */
export class Dropout extends Module {
  /** Drop probability; may be changed (e.g. by `resetClassifier`). */
  p: number;
  /** Whether the layer overwrites its input (default false). */
  readonly inplace: boolean;

  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
    this.inplace = options.inplace ?? false;
  }

  forward(x: Tensor): Tensor {
    // In eval mode (or p = 0) return the input itself: no copy, nothing to free.
    if (!this.training || this.p === 0) return x;
    return dropout(x, { p: this.p, training: true, inplace: this.inplace });
  }
}
