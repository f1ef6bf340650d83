/** Dropout: zeroing random elements (or whole channels) while training (torch.nn.functional.dropout*). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

/** Options of `dropout` and `dropout2d`. */
export interface DropoutOptions {
  /** Probability of zeroing (default 0.5); survivors are scaled by 1 / (1 - p). */
  p?: number;
  /** Only drop when true (default true, as PyTorch's functional form); false returns the input unchanged. */
  training?: boolean;
  /** Overwrite `input` and return it (default false). */
  inplace?: boolean;
}

function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
}

/**
 * Zeroes each element with probability `p` and scales the rest by 1 / (1 - p), so the
 * expectation is unchanged. Random draws follow `manualSeed`.
 *
 * @example
 *   const h = dropout(x, { p: 0.2, training: model.training });
 */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  const { p = 0.5, training = true, inplace = false } = options;
  checkP(p);
  if (inplace) {
    aten('dropout_').callVoid(input.handle, p, training);
    return input;
  }
  return wrap(aten('dropout').call(input.handle, p, training));
}

/**
 * Zeroes whole channels (feature maps) of `input` [N, C, H, W] with probability `p` and
 * scales the rest by 1 / (1 - p): neighbouring pixels are correlated, so dropping single
 * pixels regularises little. A 3-D input is read as [N, C, L] and each (n, c) row is dropped,
 * which is what PyTorch 1.13 does.
 *
 * @example
 *   const h = dropout2d(features, { p: 0.1, training: true });
 */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const { p = 0.5, training = true, inplace = false } = options;
  checkP(p);
  const ndim = input.ndim;
  if (ndim !== 3 && ndim !== 4)
    throw new Error(`dropout2d: expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got ${ndim}-D (use dropout for element-wise dropout)`);
  if (inplace) {
    aten('feature_dropout_').callVoid(input.handle, p, training);
    return input;
  }
  return wrap(aten('feature_dropout').call(input.handle, p, training));
}
