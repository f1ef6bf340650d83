/**
 * The Tensor: a typed handle on a libtorch tensor. Operations live in `methods/*.ts`, one
 * family per file, and attach to this class; this file holds identity, metadata, data
 * access, lifetime and autograd state.
 *
 * @example
 *   import { tensor, scope } from 'finegrain';
 *   const x = tensor([[1, 2], [3, 4]]);           // float32, shape [2, 2]
 *   const y = scope(() => x.matmul(x).add(1));    // intermediates freed, y survives
 *   console.log(y.toArray());                     // [[8, 11], [16, 23]]
 *   x.dispose(); y.dispose();
 */
import { native, type Handle } from '../native/binding.js';
import { dtypeCode, dtypeName, typedArrayFor, ITEM_SIZE, type DType, type TypedArray } from './dtype.js';
import { parseDevice, type Device } from './device.js';
import { freeSoon, track, untrack, type Disposable } from './scope.js';

/** A nested array of numbers or booleans, as `tensor()` takes and `toArray()` returns. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * A libtorch tensor: an n-dimensional array of one dtype on one device, with autograd state.
 * Tensors are made by the creation functions (`tensor`, `zeros`, `randn`, `fromTypedArray`, ...)
 * and by operations, which are methods (`x.matmul(w).add(b)`) following PyTorch's names and
 * semantics in camelCase.
 *
 * Memory is native and freed deterministically: by `dispose()`, by `using`, or by the enclosing
 * `scope()` for every tensor made inside it that the scope does not return. The garbage collector
 * is only a safety net.
 *
 * @example
 *   using x = tensor([[1, 2], [3, 4]]);
 *   const y = scope(() => x.matmul(x).add(1));   // the product is freed, y survives
 *   y.toArray();                                  // [[8, 11], [16, 23]]
 */
export class Tensor implements Disposable {
  /** The native handle; valid until disposed. */
  readonly handle: Handle;
  // Lifetime flags, set here so every Tensor has the same shape (cheaper property access).
  /** @internal Set by `keep()`: survives the scope that made it. */
  kept = false;
  /** @internal Registered with the garbage-collector safety net (no scope owns it). */
  orphan = false;
  /** @internal Already freed by `dispose()`. */
  freed = false;

  /** Wraps a native handle and registers it with the current scope. Not for general use. */
  constructor(handle: Handle) {
    if (typeof handle !== 'number') throw new TypeError('Tensor: expected a native handle (use tensor(), zeros(), ...)');
    this.handle = handle;
    track(this);
  }

  // ---- metadata -------------------------------------------------------------------------

  /** The size of each dimension, outermost first (`[]` for a scalar). A new array on each call. */
  get shape(): number[] {
    return native.shape(this.handle);
  }

  /** Size of one dimension (negative counts from the end). */
  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`dimension ${dim} out of range for shape [${s}]`);
    return s[d]!;
  }

  /** The number of dimensions (0 for a scalar). */
  get ndim(): number {
    return native.dim(this.handle);
  }

  /** The number of elements: the product of the shape (1 for a scalar). */
  get numel(): number {
    return native.numel(this.handle);
  }

  /** The element type ('float32', 'int64', 'bool', ...). */
  get dtype(): DType {
    return dtypeName(native.dtype(this.handle));
  }

  /** The device the elements live on: 'cpu' or 'cuda:N'. */
  get device(): Device {
    return parseDevice(native.device(this.handle));
  }

  /**
   * The step, in elements (not bytes), between neighbours along each dimension; a row-major
   * contiguous tensor of shape [a, b, c] has strides [b*c, c, 1].
   */
  get strides(): number[] {
    return native.strides(this.handle);
  }

  /** Row-major contiguous (`'contiguous'`) or NHWC (`'channelsLast'`). */
  isContiguous(memoryFormat: 'contiguous' | 'channelsLast' = 'contiguous'): boolean {
    return native.isContiguous(this.handle, memoryFormat === 'channelsLast' ? 2 : 0);
  }

  /** Whether two tensors share storage (one is a view of the other, or both of a third). */
  sharesStorageWith(other: Tensor): boolean {
    return native.storageId(this.handle) === native.storageId(other.handle);
  }

  // ---- lifetime -------------------------------------------------------------------------

  /**
   * Frees the native memory (at the start of the addon's next call, before anything else can
   * allocate). Safe to call twice; using the tensor afterwards throws.
   */
  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    freeSoon(this.handle);
    untrack(this);
  }

  /** `dispose()`, for `using x = ...`: the tensor is freed when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether the native tensor has been freed (by `dispose()` or by the scope it belonged to). */
  get isDisposed(): boolean {
    return native.isDisposed(this.handle);
  }

  /** Survive every enclosing scope(); the caller then owns the tensor. */
  keep(): this {
    this.kept = true;
    return this;
  }

  // ---- data -----------------------------------------------------------------------------

  /**
   * A copy of the elements in row-major order, in the dtype's typed array (16-bit floats as
   * raw Uint16 bits, int64 as BigInt64Array). Copies from the GPU when needed.
   */
  toTypedArray(): TypedArray {
    return typedArrayFor(this.dtype, native.toBuffer(this.handle, true));
  }

  /**
   * The elements without a copy where possible: a contiguous CPU tensor's memory, shared
   * (writes through it change the tensor, as with PyTorch's `Tensor.numpy()`).
   */
  toTypedArrayView(): TypedArray {
    return typedArrayFor(this.dtype, native.toBuffer(this.handle));
  }

  /** The elements as nested JS arrays (numbers; booleans for bool tensors). */
  toArray(): NestedArray {
    const dtype = this.dtype;
    const flatTensor = dtype === 'float16' || dtype === 'bfloat16' ? this.to({ dtype: 'float32' }) : this;
    const data = flatTensor.toTypedArray();
    if (flatTensor !== this) flatTensor.dispose();
    const values: (number | boolean)[] = [];
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      values.push(dtype === 'bool' ? v !== 0 : Number(v));
    }
    const shape = this.shape;
    if (shape.length === 0) return values[0]!;
    let offset = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? values[offset++]! : build(d + 1));
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    return Number(native.item(this.handle));
  }

  /** Overwrites the elements from raw bytes (row-major, this dtype); the tensor must be a contiguous CPU tensor. */
  copyFromBytes(bytes: Uint8Array): this {
    native.writeFromBuffer(this.handle, bytes);
    return this;
  }

  /**
   * The size of the elements in bytes: `numel` times the dtype's element size (the storage of a
   * view may be larger).
   */
  get byteSize(): number {
    return this.numel * ITEM_SIZE[this.dtype];
  }

  // ---- autograd -------------------------------------------------------------------------

  /**
   * Whether autograd records operations on this tensor, so that `backward()` reaches it. Setting it
   * is allowed on leaves only (as in PyTorch), and only floating-point tensors can require
   * gradients.
   */
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }

  /** Switches gradient recording on or off for this leaf (`requiresGrad_` does the same and returns the tensor). */
  set requiresGrad(on: boolean) {
    native.setRequiresGrad(this.handle, on);
  }

  /** Sets requiresGrad and returns this, for chaining. */
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }

  /** The accumulated gradient (a new handle on it, owned by the current scope), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }

  /** Replaces the gradient; null frees it. */
  set grad(g: Tensor | null) {
    native.setGrad(this.handle, g === null ? null : g.handle);
  }

  /**
   * Whether the tensor was made by the user rather than by a recorded operation: leaves that
   * require grad are the ones whose `.grad` `backward()` fills.
   */
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }

  /** Keep this non-leaf tensor's gradient after backward(). */
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }

  /**
   * Back-propagates from this tensor (a scalar, unless `gradient` is given) into the
   * `.grad` of every leaf that requires grad.
   */
  backward(gradient?: Tensor | null, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward([this.handle], gradient ? [gradient.handle] : null, options.retainGraph ?? null, options.createGraph ?? null);
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    const shape = this.shape;
    const body = this.numel <= 64 ? JSON.stringify(this.toArray()) : `[${shape.join(', ')}] …`;
    return `Tensor(${body}, shape=[${shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Wraps a handle that an operator returned (null stays null). */
export function wrap(h: Handle): Tensor;
export function wrap(h: Handle | null): Tensor | null;
export function wrap(h: Handle | null): Tensor | null {
  return h === null ? null : new Tensor(h);
}

/** Wraps each handle of a multi-output operator. */
export function wrapAll(hs: (Handle | null)[]): Tensor[] {
  return hs.map((h) => wrap(h as Handle));
}

/** Options for `to()`: any of dtype, device, memory format. */
export interface ToOptions {
  /** The element type to convert to (values are cast as `Tensor.to` in PyTorch does: floats to integers truncate). */
  dtype?: DType;
  /** The device to copy to: 'cpu', 'cuda' or 'cuda:N'. */
  device?: Device | string;
  /**
   * The memory layout of the result: 'contiguous' (row-major, NCHW), 'channelsLast' (NHWC, for 4-D
   * tensors; faster convolutions with oneDNN and cuDNN) or 'preserve' (default: keep the input's).
   */
  memoryFormat?: MemoryFormat;
  /** Always return a new tensor, even when nothing changes. */
  copy?: boolean;
  /**
   * Let a CPU-GPU copy run asynchronously to the host (from pinned memory); the result must not be
   * read before the stream has caught up.
   */
  nonBlocking?: boolean;
}

/**
 * How a 4-D tensor's elements are laid out: 'contiguous' (row-major, NCHW), 'channelsLast' (NHWC)
 * or 'preserve' (whatever the input has).
 */
export type MemoryFormat = 'contiguous' | 'channelsLast' | 'preserve';

export function memoryFormatCode(m: MemoryFormat): number {
  return m === 'contiguous' ? 0 : m === 'preserve' ? 1 : 2;
}

export { dtypeCode };
