/** Element-wise comparisons and logic; results are bool tensors. */
import { aten } from '../../native/aten.js';
import { Tensor, wrap } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** this == other, element-wise with broadcasting: a bool tensor. */
    eq(other: Tensor | number): Tensor;
    /** this != other, element-wise: a bool tensor. */
    ne(other: Tensor | number): Tensor;
    /** this < other, element-wise: a bool tensor. */
    lt(other: Tensor | number): Tensor;
    /** this <= other, element-wise: a bool tensor. */
    le(other: Tensor | number): Tensor;
    /** this > other, element-wise: a bool tensor. */
    gt(other: Tensor | number): Tensor;
    /** this >= other, element-wise: a bool tensor. */
    ge(other: Tensor | number): Tensor;
    /** Logical not (non-zero counts as true): a bool tensor. */
    logicalNot(): Tensor;
    /** Logical and, element-wise (non-zero counts as true): a bool tensor. */
    logicalAnd(other: Tensor): Tensor;
    /** Logical or, element-wise (non-zero counts as true): a bool tensor. */
    logicalOr(other: Tensor): Tensor;
    /** Where the elements are NaN: a bool tensor. */
    isnan(): Tensor;
    /** Where the elements are neither infinite nor NaN: a bool tensor. */
    isfinite(): Tensor;
    /** Same shape and exactly equal elements. */
    equal(other: Tensor): boolean;
    /** |this - other| <= atol + rtol * |other| everywhere (NaNs equal only with equalNan). */
    allclose(other: Tensor, rtol?: number, atol?: number, equalNan?: boolean): boolean;
  }
}

const P = Tensor.prototype;
// The overloads spelled out, so that each name is in the generated operator table.
const COMPARISONS = [
  ['eq', 'eq.Tensor', 'eq.Scalar'],
  ['ne', 'ne.Tensor', 'ne.Scalar'],
  ['lt', 'lt.Tensor', 'lt.Scalar'],
  ['le', 'le.Tensor', 'le.Scalar'],
  ['gt', 'gt.Tensor', 'gt.Scalar'],
  ['ge', 'ge.Tensor', 'ge.Scalar'],
] as const;
for (const [name, withTensor, withScalar] of COMPARISONS) {
  P[name] = function (this: Tensor, other: Tensor | number) {
    return wrap(other instanceof Tensor ? aten(withTensor).call(this.handle, other.handle) : aten(withScalar).call(this.handle, other));
  };
}
P.logicalNot = function () {
  return wrap(aten('logical_not').call(this.handle));
};
P.logicalAnd = function (o) {
  return wrap(aten('logical_and').call(this.handle, o.handle));
};
P.logicalOr = function (o) {
  return wrap(aten('logical_or').call(this.handle, o.handle));
};
P.isnan = function () {
  return wrap(aten('isnan').call(this.handle));
};
P.isfinite = function () {
  return wrap(aten('isfinite').call(this.handle));
};
P.equal = function (o) {
  return aten('equal').call(this.handle, o.handle) as boolean;
};
P.allclose = function (o, rtol = 1e-5, atol = 1e-8, equalNan = false) {
  return aten('allclose').call(this.handle, o.handle, rtol, atol, equalNan) as boolean;
};
