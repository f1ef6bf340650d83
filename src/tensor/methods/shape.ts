/** Views and reshapes. View-returning methods share storage with `this`, as in PyTorch. */
import { aten } from '../../native/aten.js';
import { Tensor, wrap } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** A view with a new shape (one entry may be -1); needs compatible strides. */
    view(...shape: number[] | [number[]]): Tensor;
    /** A view when possible, otherwise a copy. */
    reshape(...shape: number[] | [number[]]): Tensor;
    /**
     * A view with the dimensions reordered: dimension i of the result is dimension dims[i] of this.
     *
     * @example
     *   img.permute(2, 0, 1);   // HWC -> CHW
     */
    permute(...dims: number[] | [number[]]): Tensor;
    /** A view with two dimensions swapped. */
    transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a 2-D tensor. */
    t(): Tensor;
    /** Merges dimensions startDim..endDim (default: all) into one; a view when the strides allow, otherwise a copy. */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Splits dimension `dim` into `sizes` (one entry may be -1); the inverse of `flatten`. */
    unflatten(dim: number, sizes: number[]): Tensor;
    /** Removes size-1 dimensions (all of them, or only `dim`). */
    squeeze(dim?: number): Tensor;
    /** A view with a size-1 dimension inserted at `dim`. */
    unsqueeze(dim: number): Tensor;
    /** Broadcasts to `shape` without copying (-1 keeps a dimension). */
    expand(...shape: number[] | [number[]]): Tensor;
    /** `expand` to `other`'s shape: a broadcast view, no copy. */
    expandAs(other: Tensor): Tensor;
    /** A copy tiled `times[i]` times along each dimension (as PyTorch's repeat, NumPy's tile). */
    repeat(...times: number[] | [number[]]): Tensor;
    /** A copy with the order of elements reversed along each of `dims`. */
    flip(dims: number[]): Tensor;
    /** A view of this tensor's storage with explicit sizes, strides and offset (in elements), as PyTorch's `as_strided`. */
    asStrided(size: number[], stride: number[], storageOffset?: number): Tensor;
    /**
     * A copy with elements shifted cyclically by `shifts` along `dims`: what leaves one end comes
     * back at the other.
     */
    roll(shifts: number | number[], dims: number | number[]): Tensor;
  }
}

const P = Tensor.prototype;
const list = (args: number[] | [number[]]): number[] => (Array.isArray(args[0]) ? args[0] : (args as number[]));

P.asStrided = function (size, stride, storageOffset = 0) {
  return wrap(aten('as_strided').call(this.handle, size, stride, storageOffset));
};
P.view = function (...shape) {
  return wrap(aten('view').call(this.handle, list(shape)));
};
P.reshape = function (...shape) {
  return wrap(aten('reshape').call(this.handle, list(shape)));
};
P.permute = function (...dims) {
  return wrap(aten('permute').call(this.handle, list(dims)));
};
P.transpose = function (d0, d1) {
  return wrap(aten('transpose.int').call(this.handle, d0, d1));
};
P.t = function () {
  return wrap(aten('t').call(this.handle));
};
P.flatten = function (startDim = 0, endDim = -1) {
  return wrap(aten('flatten.using_ints').call(this.handle, startDim, endDim));
};
P.unflatten = function (dim, sizes) {
  return wrap(aten('unflatten.int').call(this.handle, dim, sizes));
};
P.squeeze = function (dim) {
  return wrap(dim === undefined ? aten('squeeze').call(this.handle) : aten('squeeze.dim').call(this.handle, dim));
};
P.unsqueeze = function (dim) {
  return wrap(aten('unsqueeze').call(this.handle, dim));
};
P.expand = function (...shape) {
  return wrap(aten('expand').call(this.handle, list(shape)));
};
P.expandAs = function (other) {
  return wrap(aten('expand_as').call(this.handle, other.handle));
};
P.repeat = function (...times) {
  return wrap(aten('repeat').call(this.handle, list(times)));
};
P.flip = function (dims) {
  return wrap(aten('flip').call(this.handle, dims));
};
P.roll = function (shifts, dims) {
  return wrap(aten('roll').call(this.handle, Array.isArray(shifts) ? shifts : [shifts], Array.isArray(dims) ? dims : [dims]));
};
