/** Selecting and scattering elements. */
import { aten } from '../../native/aten.js';
import { Tensor, wrap, wrapAll } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** A view of `length` entries of `dim` from `start`. */
    narrow(dim: number, start: number, length: number): Tensor;
    /** A view of `dim` from start to end (exclusive, may be negative or omitted) by step, like `x[:, a:b:s]`. */
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    /** A view with `dim` removed at `index`, like `x[:, i]`. */
    select(dim: number, index: number): Tensor;
    /** The entries of `dim` at the positions in `index` (a 1-D int64 tensor), copied, like `x[:, idx]`. */
    indexSelect(dim: number, index: Tensor): Tensor;
    /** out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims). */
    gather(dim: number, index: Tensor): Tensor;
    /** A copy with `src` (or a number) written at `index` along `dim`. */
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    /** A copy with `value` where `mask` is true. */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    /** In place `maskedFill`: writes `value` where `mask` (bool, broadcast) is true. Returns this. */
    maskedFill_(mask: Tensor, value: number): Tensor;
    /** Advanced indexing with one index tensor (or null to skip) per leading dimension, like `x[idx]`. */
    index(indices: (Tensor | null)[]): Tensor;
    /** In place `this[indices] = values` (or += with accumulate). */
    indexPut_(indices: (Tensor | null)[], values: Tensor, accumulate?: boolean): Tensor;
    /** Splits into pieces of `size` (or of the given sizes) along `dim`; views. */
    split(size: number | number[], dim?: number): Tensor[];
    /** Splits into `chunks` nearly equal views along `dim`. */
    chunk(chunks: number, dim?: number): Tensor[];
    /** Indices of non-zero elements, shape [n, ndim]. */
    nonzero(): Tensor;
  }
}

const P = Tensor.prototype;
const h = (t: Tensor | null) => (t === null ? null : t.handle);

P.narrow = function (dim, start, length) {
  return wrap(aten('narrow').call(this.handle, dim, start, length));
};
P.slice = function (dim, start = null, end = null, step = 1) {
  return wrap(aten('slice.Tensor').call(this.handle, dim, start, end, step));
};
P.select = function (dim, index) {
  return wrap(aten('select.int').call(this.handle, dim, index));
};
P.indexSelect = function (dim, index) {
  return wrap(aten('index_select').call(this.handle, dim, index.handle));
};
P.gather = function (dim, index) {
  return wrap(aten('gather').call(this.handle, dim, index.handle));
};
P.scatter = function (dim, index, src) {
  return wrap(
    src instanceof Tensor
      ? aten('scatter.src').call(this.handle, dim, index.handle, src.handle)
      : aten('scatter.value').call(this.handle, dim, index.handle, src),
  );
};
P.maskedFill = function (mask, value) {
  return wrap(
    value instanceof Tensor
      ? aten('masked_fill.Tensor').call(this.handle, mask.handle, value.handle)
      : aten('masked_fill.Scalar').call(this.handle, mask.handle, value),
  );
};
P.maskedFill_ = function (mask, value) {
  aten('masked_fill_.Scalar').callVoid(this.handle, mask.handle, value);
  return this;
};
P.index = function (indices) {
  return wrap(aten('index.Tensor').call(this.handle, indices.map(h)));
};
P.indexPut_ = function (indices, values, accumulate = false) {
  aten('index_put_').callVoid(this.handle, indices.map(h), values.handle, accumulate);
  return this;
};
P.split = function (size, dim = 0) {
  return wrapAll(Array.isArray(size) ? aten('split_with_sizes').call(this.handle, size, dim) : aten('split.Tensor').call(this.handle, size, dim));
};
P.chunk = function (chunks, dim = 0) {
  return wrapAll(aten('chunk').call(this.handle, chunks, dim));
};
P.nonzero = function () {
  return wrap(aten('nonzero').call(this.handle));
};
