/**
 * Reductions. Without `dim` they reduce everything to a scalar tensor; `dim` may be one
 * dimension or a list, negative counting from the end.
 */
import { aten } from '../../native/aten.js';
import { dtypeCode, type DType } from '../dtype.js';
import { Tensor, wrap, wrapAll } from '../tensor.js';

/** Options of `sum`, `mean` and `prod`. */
export interface ReduceOptions {
  /** Keep each reduced dimension with size 1 so the result broadcasts against the input (default false). */
  keepdim?: boolean;
  /** Accumulate and return in this dtype (sum, mean, prod). */
  dtype?: DType;
}

/** Options of std/var: `correction` 1 (default) is the unbiased estimate, 0 the population one. */
export interface VarianceOptions {
  /** Keep each reduced dimension with size 1 so the result broadcasts against the input (default false). */
  keepdim?: boolean;
  /** Subtracted from the number of elements in the divisor: 1 (default) is the unbiased sample estimate, 0 the population value. */
  correction?: number;
}

/** Values and their indices, as max/min along a dimension and topk return. */
export interface ValuesIndices {
  /** The selected values. */
  values: Tensor;
  /** Where each value sits along the reduced or sorted dimension (int64). */
  indices: Tensor;
}

declare module '../tensor.js' {
  interface Tensor {
    /**
     * The sum over all elements, or over `dim` (one or several; null means all). Integer and bool
     * inputs sum to int64 unless `dtype` says otherwise.
     */
    sum(dim?: number | number[] | null, options?: ReduceOptions): Tensor;
    /**
     * The mean over all elements, or over `dim` (one or several; null means all). Floating-point
     * inputs only, or a floating-point `dtype`.
     */
    mean(dim?: number | number[] | null, options?: ReduceOptions): Tensor;
    /** The product of all elements, or along `dim`. */
    prod(dim?: number, options?: ReduceOptions): Tensor;
    /** The largest element (a scalar tensor). */
    max(): Tensor;
    /** The largest values along `dim` and where they are. */
    max(dim: number, keepdim?: boolean): ValuesIndices;
    /** The smallest element (a scalar tensor). */
    min(): Tensor;
    /** The smallest values along `dim` and where they are. */
    min(dim: number, keepdim?: boolean): ValuesIndices;
    /** Index of the largest value (over the flattened tensor when dim is omitted). */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /** Index of the smallest value (over the flattened tensor when dim is omitted). */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** The k largest (or smallest) values along `dim` (default last), sorted. */
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ValuesIndices;
    /** Sorts along `dim` (default last). */
    sort(dim?: number, descending?: boolean): ValuesIndices;
    /**
     * The standard deviation over all elements or over `dim`, with Bessel's correction by default
     * (`correction: 1`, as PyTorch).
     */
    std(dim?: number | number[] | null, options?: VarianceOptions): Tensor;
    /**
     * The variance over all elements or over `dim`, with Bessel's correction by default
     * (`correction: 1`, as PyTorch).
     */
    var(dim?: number | number[] | null, options?: VarianceOptions): Tensor;
    /** log(sum(exp(x))) along `dim`, computed stably. */
    logsumexp(dim: number | number[], keepdim?: boolean): Tensor;
    /** The p-norm over all elements or along `dim`. */
    norm(p?: number, dim?: number | number[] | null, keepdim?: boolean): Tensor;
    /** Whether every element is non-zero (a bool scalar tensor). */
    all(): Tensor;
    /** Whether some element is non-zero (a bool scalar tensor). */
    any(): Tensor;
    /** Running sums along `dim`: out[i] = this[0] + ... + this[i]. */
    cumsum(dim: number): Tensor;
  }
}

const P = Tensor.prototype;
const dims = (dim: number | number[]) => (Array.isArray(dim) ? dim : [dim]);
const code = (d?: DType) => (d ? dtypeCode(d) : undefined);

P.sum = function (dim, options = {}) {
  if (dim === undefined || dim === null) {
    if (options.keepdim) return wrap(aten('sum.dim_IntList').call(this.handle, [...this.shape.keys()], true, code(options.dtype)));
    return wrap(aten('sum').call(this.handle, code(options.dtype)));
  }
  return wrap(aten('sum.dim_IntList').call(this.handle, dims(dim), options.keepdim ?? false, code(options.dtype)));
};
P.mean = function (dim, options = {}) {
  if (dim === undefined || dim === null) {
    if (options.keepdim) return wrap(aten('mean.dim').call(this.handle, [...this.shape.keys()], true, code(options.dtype)));
    return wrap(aten('mean').call(this.handle, code(options.dtype)));
  }
  return wrap(aten('mean.dim').call(this.handle, dims(dim), options.keepdim ?? false, code(options.dtype)));
};
P.prod = function (dim, options = {}) {
  if (dim === undefined) return wrap(aten('prod').call(this.handle, code(options.dtype)));
  return wrap(aten('prod.dim_int').call(this.handle, dim, options.keepdim ?? false, code(options.dtype)));
};
P.max = function (this: Tensor, dim?: number, keepdim: boolean = false): Tensor | ValuesIndices {
  if (dim === undefined) return wrap(aten('max').call(this.handle));
  const [values, indices] = wrapAll(aten('max.dim').call(this.handle, dim, keepdim));
  return { values: values!, indices: indices! };
} as Tensor['max'];
P.min = function (this: Tensor, dim?: number, keepdim: boolean = false): Tensor | ValuesIndices {
  if (dim === undefined) return wrap(aten('min').call(this.handle));
  const [values, indices] = wrapAll(aten('min.dim').call(this.handle, dim, keepdim));
  return { values: values!, indices: indices! };
} as Tensor['min'];
P.argmax = function (dim, keepdim = false) {
  return wrap(aten('argmax').call(this.handle, dim ?? null, keepdim));
};
P.argmin = function (dim, keepdim = false) {
  return wrap(aten('argmin').call(this.handle, dim ?? null, keepdim));
};
P.topk = function (k, dim = -1, largest = true, sorted = true) {
  const [values, indices] = wrapAll(aten('topk').call(this.handle, k, dim, largest, sorted));
  return { values: values!, indices: indices! };
};
P.sort = function (dim = -1, descending = false) {
  const [values, indices] = wrapAll(aten('sort').call(this.handle, dim, descending));
  return { values: values!, indices: indices! };
};
P.std = function (dim, options = {}) {
  return wrap(
    aten('std.correction').call(this.handle, dim === undefined || dim === null ? null : dims(dim), options.correction ?? 1, options.keepdim ?? false),
  );
};
P.var = function (dim, options = {}) {
  return wrap(
    aten('var.correction').call(this.handle, dim === undefined || dim === null ? null : dims(dim), options.correction ?? 1, options.keepdim ?? false),
  );
};
P.logsumexp = function (dim, keepdim = false) {
  return wrap(aten('logsumexp').call(this.handle, dims(dim), keepdim));
};
P.norm = function (p = 2, dim, keepdim = false) {
  if (dim === undefined || dim === null) return wrap(aten('norm.Scalar').call(this.handle, p));
  return wrap(aten('norm.ScalarOpt_dim').call(this.handle, p, dims(dim), keepdim));
};
P.all = function () {
  return wrap(aten('all').call(this.handle));
};
P.any = function () {
  return wrap(aten('any').call(this.handle));
};
P.cumsum = function (dim) {
  return wrap(aten('cumsum').call(this.handle, dim));
};
