/** The affine map of fully connected layers (torch.nn.functional.linear). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { opt } from './args.js';

/**
 * `input @ weight.T + bias` over the last dimension: input [..., in], weight [out, in],
 * bias [out] (optional).
 *
 * @example
 *   const logits = linear(features, w, b); // [N, 512] x [200, 512]^T -> [N, 200]
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(aten('linear').call(input.handle, weight.handle, opt(bias)));
}
