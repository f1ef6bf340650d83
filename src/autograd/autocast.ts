/**
 * Automatic mixed precision (torch.autocast): inside the block, matrix products and
 * convolutions run in a lower precision (bfloat16 on CPU and CUDA, or float16 on CUDA) while
 * precision-sensitive operations stay in float32. Use a `GradScaler` with float16.
 *
 * @example
 *   const loss = autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => crossEntropy(model.forward(x), y));
 *   loss.backward(); // outside autocast, as in PyTorch
 */
import { native } from '../native/binding.js';
import { dtypeCode, type DType } from '../tensor/dtype.js';

/** What `autocast` switches: for which device type, to which lower precision, and whether at all. */
export interface AutocastOptions {
  /** The device type whose operations run in lower precision; tensors on other devices are left alone. */
  deviceType: 'cpu' | 'cuda';
  /** bfloat16 (default) or float16 (CUDA only). */
  dtype?: DType;
  /** false runs the block in full precision, e.g. to switch autocast off inside it. */
  enabled?: boolean;
}

/**
 * Runs `fn` with mixed precision for one device type and returns its result; the previous
 * autocast state is restored afterwards, also when `fn` throws. `fn` must be synchronous: the
 * state is restored when it returns, so code after an `await` would run outside it. Throws a
 * TypeError for float16 on CPU and for dtypes other than bfloat16 and float16.
 *
 * @example
 *   const logits = autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => model.forward(x));
 */
export function autocast<T>(options: AutocastOptions, fn: () => T): T {
  const { deviceType } = options;
  if (deviceType !== 'cpu' && deviceType !== 'cuda') throw new TypeError(`autocast: deviceType must be 'cpu' or 'cuda', got '${deviceType}'`);
  const dtype = options.dtype ?? 'bfloat16';
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new TypeError(`autocast: dtype must be bfloat16 or float16, got ${dtype}`);
  if (deviceType === 'cpu' && dtype === 'float16') throw new TypeError('autocast: CPU autocast supports bfloat16 only');
  const [wasEnabled, wasDtype] = native.autocastState(deviceType);
  native.autocastEnter(deviceType, options.enabled ?? true, dtypeCode(dtype));
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('autocast() needs a synchronous function');
    return result;
  } finally {
    native.autocastExit(deviceType, wasEnabled, wasDtype);
  }
}

/** Whether code running now is inside an enabled `autocast` block for `deviceType` (default 'cpu'). */
export function isAutocastEnabled(deviceType: 'cpu' | 'cuda' = 'cpu'): boolean {
  return native.autocastState(deviceType)[0];
}
