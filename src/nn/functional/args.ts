/**
 * Argument helpers shared by the functional layer: 2-D sizes given as a number or a pair,
 * loss reductions, optional tensors. Internal; not re-exported.
 */
import type { Handle } from '../../native/binding.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A 2-D size (kernel, stride, padding, dilation): one number for both dimensions, or [h, w]. */
export type Size2 = number | readonly [number, number];

/** How a loss reduces its per-element values: PyTorch's `reduction` argument. */
export type Reduction = 'none' | 'mean' | 'sum';

/**
 * `[v, v]` for a number, the pair itself otherwise; libtorch reads the result as `int[2]`.
 *
 * @example
 *   pair(3, 'kernelSize');       // [3, 3]
 *   pair([3, 5], 'kernelSize');  // [3, 5]
 */
export function pair(v: Size2, name: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new TypeError(`${name} must be a number or a pair [h, w], got ${JSON.stringify(v)}`);
}

/**
 * libtorch's `at::Reduction` enum (None=0, Mean=1, Sum=2) for a reduction name.
 *
 * @example
 *   reductionCode('sum'); // 2
 */
export function reductionCode(r: Reduction): number {
  switch (r) {
    case 'none':
      return 0;
    case 'mean':
      return 1;
    case 'sum':
      return 2;
  }
  throw new TypeError(`reduction must be 'none', 'mean' or 'sum', got '${r as string}'`);
}

/**
 * The handle of an optional tensor argument (`Tensor?` in a schema): null for none.
 *
 * @example
 *   aten('linear').call(x.handle, w.handle, opt(bias));
 */
export function opt(t: Tensor | null | undefined): Handle | null {
  return t ? t.handle : null;
}
