/** Padding tensors (torch.nn.functional.pad). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

/** How `pad` fills the border (see `PadOptions.mode`). */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Options of `pad`. */
export interface PadOptions {
  /** 'constant' (default) fills with `value`; 'reflect' mirrors without repeating the edge; 'replicate' repeats the edge; 'circular' wraps around. */
  mode?: PadMode;
  /** Fill value for 'constant' (default 0). */
  value?: number;
}

/**
 * Pads the last dimensions of `input`. `padding` lists (before, after) pairs starting from
 * the LAST dimension, as in PyTorch: [left, right, top, bottom] pads W then H. Negative
 * amounts crop. 'reflect'/'replicate'/'circular' pad up to the last 3 dimensions of a
 * batched (or unbatched) input.
 *
 * @example
 *   const y = pad(x, [1, 1, 2, 2]);                         // W by 1, H by 2, zeros
 *   const r = pad(img, [4, 4, 4, 4], { mode: 'reflect' });  // before a random crop
 */
export function pad(input: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  const { mode = 'constant', value } = options;
  if (padding.length % 2 !== 0) throw new Error(`pad: padding length must be divisible by 2, got [${padding.join(', ')}]`);
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new TypeError(`pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '${mode as string}'`);
  }
  return wrap(aten('pad').call(input.handle, [...padding], mode, value ?? null));
}
