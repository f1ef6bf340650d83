/**
 * Making tensors: from JS data, filled, ranges and random.
 *
 * @example
 *   const x = randn([16, 3, 224, 224]);                   // float32, N(0, 1)
 *   const labels = randint(0, 10, [16]);                  // int64
 *   const w = zeros([10, 512], { requiresGrad: true });
 *   const img = fromTypedArray(pixels, [224, 224, 3]);    // Uint8Array -> uint8 tensor
 */
import { native } from '../native/binding.js';
import { aten, atenUntyped } from '../native/aten.js';
import type { Handle } from '../native/binding.js';
import { dtypeCode, dtypeOfTypedArray, ITEM_SIZE, type DType } from './dtype.js';
import type { Device } from './device.js';
import { Tensor, wrap, type NestedArray } from './tensor.js';

/** Options shared by the functions that make tensors: element type, device and whether autograd tracks the result. */
export interface TensorOptions {
  /** Element type; float32 unless the function says otherwise. */
  dtype?: DType;
  /** Where the tensor lives: 'cpu' (default), 'cuda' or 'cuda:N'. The values are made on the CPU and then moved. */
  device?: Device | string;
  /** Make the result a leaf that autograd records operations on, so `backward()` fills its `.grad` (default false). */
  requiresGrad?: boolean;
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function moved(t: Tensor, options: TensorOptions): Tensor {
  if (!options.device || options.device === 'cpu') return t;
  const out = wrap(aten('to.dtype_layout').call(t.handle, undefined, undefined, options.device));
  t.dispose();
  return out;
}

function checkShape(shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`shape must be an array of integers, got ${JSON.stringify(shape)}`);
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new TypeError(`shape must hold non-negative integers, got [${shape}]`);
  }
  return shape as number[];
}

/** A tensor from (nested) JS numbers or booleans; float32 unless `dtype` says otherwise (bool for booleans). */
export function tensor(data: NestedArray, options: TensorOptions = {}): Tensor {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
  }
  const flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]) as (number | boolean)[];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== expected) throw new TypeError(`tensor(): ragged nested array (expected ${expected} values for shape [${shape}], got ${flat.length})`);
  const dtype = options.dtype ?? (typeof probe === 'boolean' ? 'bool' : 'float32');
  let values: ArrayBufferView;
  switch (dtype) {
    case 'float64':
      values = Float64Array.from(flat, Number);
      break;
    case 'int64':
      values = BigInt64Array.from(flat, (v) => BigInt(Math.trunc(Number(v))));
      break;
    case 'int32':
      values = Int32Array.from(flat, Number);
      break;
    case 'int16':
      values = Int16Array.from(flat, Number);
      break;
    case 'int8':
      values = Int8Array.from(flat, Number);
      break;
    case 'uint8':
    case 'bool':
      values = Uint8Array.from(flat, Number);
      break;
    default:
      values = Float32Array.from(flat, Number);
  }
  const base = new Tensor(native.fromBuffer(values, shape, dtypeCode(dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype)));
  let out = base;
  if (dtype === 'float16' || dtype === 'bfloat16') {
    out = wrap(aten('to.dtype_layout').call(base.handle, dtypeCode(dtype)));
    base.dispose();
  }
  return finish(moved(out, options), options);
}

/**
 * A tensor over a typed array's elements (one copy into native memory). `dtype` defaults
 * from the array type; pass it for float16/bfloat16 bits held in a Uint16Array.
 */
export function fromTypedArray(data: ArrayBufferView, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? dtypeOfTypedArray(data);
  const need = checkShape(shape).reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype];
  if (data.byteLength !== need) {
    throw new TypeError(`fromTypedArray: shape [${shape}] of ${dtype} needs ${need} bytes, the array holds ${data.byteLength}`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return finish(moved(new Tensor(native.fromBuffer(bytes, shape, dtypeCode(dtype))), options), options);
}

function factory(op: string, shape: readonly number[], options: TensorOptions, ...pre: unknown[]): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'float32');
  // Untyped: `op` is one of the factories below (zeros, ones, empty, full, ...), each of which
  // takes (...pre, size, dtype, layout, device) and returns a tensor.
  return finish(wrap(atenUntyped(op).call(...pre, checkShape(shape), dtype, undefined, options.device) as Handle), options);
}

/**
 * A tensor of zeros of the given shape (float32 unless `dtype` says otherwise).
 *
 * @example
 *   const bias = zeros([512], { requiresGrad: true });
 */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory('zeros', shape, options);
}

/** A tensor of ones of the given shape (float32 unless `dtype` says otherwise). */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory('ones', shape, options);
}

/** Uninitialised memory (fast; fill it before reading). */
export function empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'float32');
  return finish(wrap(aten('empty.memory_format').call(checkShape(shape), dtype, undefined, options.device)), options);
}

/**
 * A tensor of the given shape with every element `value`; float32 for a number and bool for a
 * boolean unless `dtype` says otherwise.
 *
 * @example
 *   const mask = full([4, 4], true);   // bool
 */
export function full(shape: readonly number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  return finish(wrap(aten('full').call(checkShape(shape), value, dtype, undefined, options.device)), options);
}

/** Samples of N(0, 1). */
export function randn(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory('randn', shape, options);
}

/** Samples of U[0, 1). */
export function rand(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return factory('rand', shape, options);
}

/** Integers uniform in [low, high); int64 unless `dtype` says otherwise. */
export function randint(low: number, high: number, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'int64');
  return finish(wrap(aten('randint.low').call(low, high, checkShape(shape), dtype, undefined, options.device)), options);
}

/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'int64');
  return finish(wrap(aten('randperm').call(n, dtype, undefined, options.device)), options);
}

/**
 * Values from `start` to `end` (exclusive) by `step`. `arange(5)` is [0..4]. Integral
 * arguments give int64, as in PyTorch; pass `dtype` to choose.
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const dtype = options.dtype ? dtypeCode(options.dtype) : undefined;
  return finish(wrap(aten('arange.start_step').call(start, end, step, dtype, undefined, options.device)), options);
}

/** `steps` evenly spaced values from start to end inclusive (float32). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'float32');
  return finish(wrap(aten('linspace').call(start, end, steps, dtype, undefined, options.device)), options);
}

/** The `n` by `n` identity matrix (float32 unless `dtype` says otherwise). */
export function eye(n: number, options: TensorOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? 'float32');
  return finish(wrap(aten('eye').call(n, dtype, undefined, options.device)), options);
}

/** Zeros with `t`'s shape, dtype and device; `options` override the dtype and device. */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

/** Ones with `t`'s shape, dtype and device; `options` override the dtype and device. */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

/** A tensor with `t`'s shape, dtype and device, every element `value`; `options` override the dtype and device. */
export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...options });
}

/** Samples of N(0, 1) with `t`'s shape, dtype and device; `options` override the dtype and device. */
export function randnLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, device: t.device, ...options });
}
