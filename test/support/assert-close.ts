/** Numerical comparison for tests: max |a - b| within a tolerance relative to b's scale. */
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/index.js';

export interface CloseOptions {
  /** Allowed max |a - b| relative to max |b| (default 1e-4). */
  rtol?: number;
  /** Allowed absolute error (default 1e-6). */
  atol?: number;
  message?: string;
}

/** Asserts same shape and max|a-b| <= atol + rtol * max|b|. Returns the max error. */
export function assertClose(actual: Tensor, expected: Tensor, options: CloseOptions = {}): number {
  const { rtol = 1e-4, atol = 1e-6 } = options;
  assert.deepEqual(actual.shape, expected.shape, `${options.message ?? ''} shape`);
  const a = actual.to({ dtype: 'float64', device: 'cpu' });
  const b = expected.to({ dtype: 'float64', device: 'cpu' });
  const err = a.sub(b).abs().max().item();
  const scale = b.abs().max().item();
  const bound = atol + rtol * scale;
  assert.ok(err <= bound, `${options.message ?? 'tensors differ'}: max error ${err} > ${bound} (scale ${scale})`);
  return err;
}
