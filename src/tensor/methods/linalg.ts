/** Matrix products. */
import { aten } from '../../native/aten.js';
import { Tensor, wrap } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** Matrix product with NumPy broadcasting rules (vectors, matrices, batches). */
    matmul(other: Tensor): Tensor;
    /** 2-D matrix product. */
    mm(other: Tensor): Tensor;
    /** Batched [b, n, m] x [b, m, p] product. */
    bmm(other: Tensor): Tensor;
    /** The inner product of two 1-D tensors (a scalar tensor). */
    dot(other: Tensor): Tensor;
    /** The outer product of two 1-D tensors: out[i][j] = this[i] * other[j]. */
    outer(other: Tensor): Tensor;
  }
}

const P = Tensor.prototype;
P.matmul = function (o) {
  return wrap(aten('matmul').call(this.handle, o.handle));
};
P.mm = function (o) {
  return wrap(aten('mm').call(this.handle, o.handle));
};
P.bmm = function (o) {
  return wrap(aten('bmm').call(this.handle, o.handle));
};
P.dot = function (o) {
  return wrap(aten('dot').call(this.handle, o.handle));
};
P.outer = function (o) {
  return wrap(aten('outer').call(this.handle, o.handle));
};
