/**
 * Multi-tensor ("foreach") operators over lists of tensors: one native call updates every
 * parameter of a group. On CUDA they launch a few fused kernels instead of one per tensor;
 * on CPU libtorch runs the same per-tensor kernels as the single-tensor loop (so results
 * are bit-identical to it) and only the per-call overhead from JS is saved.
 *
 * Every function here accepts empty lists (libtorch's foreach operators reject them).
 *
 * @example
 *   foreach.add_(params, grads, -lr);           // p -= lr * g for every p
 *   const roots = foreach.sqrt(expAvgSqs);      // new tensors, owned by the current scope
 */
import { aten } from '../native/aten.js';
import { wrapAll, type Tensor } from '../tensor/tensor.js';

const hs = (ts: readonly Tensor[]) => ts.map((t) => t.handle);

function checkSameLength(name: string, ...lists: (readonly Tensor[])[]): void {
  const n = lists[0]!.length;
  for (const l of lists)
    if (l.length !== n) throw new RangeError(`foreach.${name}: tensor lists differ in length (${lists.map((x) => x.length).join(' vs ')})`);
}

/**
 * The multi-tensor operators (torch._foreach_*): each call runs one operation over a list of
 * tensors at once, as optimisers update every parameter of a group. Empty lists are allowed.
 *
 * @example
 *   foreach.add_(params, grads, -lr);   // p -= lr * g for every p
 */
export const foreach = {
  /** self[i] += alpha * other[i] (lists), or self[i] += other (a number). @example foreach.add_(ps, gs, -0.1) */
  add_(self: readonly Tensor[], other: readonly Tensor[] | number, alpha?: number): void {
    if (self.length === 0) return;
    if (typeof other === 'number') return aten('_foreach_add_.Scalar').callVoid(hs(self), other);
    checkSameLength('add_', self, other);
    aten('_foreach_add_.List').callVoid(hs(self), hs(other), alpha);
  },

  /** New tensors self[i] + alpha * other[i] (or + a number). @example const d = foreach.add(gs, ps, wd) */
  add(self: readonly Tensor[], other: readonly Tensor[] | number, alpha?: number): Tensor[] {
    if (self.length === 0) return [];
    if (typeof other === 'number') return wrapAll(aten('_foreach_add.Scalar').call(hs(self), other));
    checkSameLength('add', self, other);
    return wrapAll(aten('_foreach_add.List').call(hs(self), hs(other), alpha));
  },

  /** self[i] *= scalar. @example foreach.mul_(bufs, 0.9) */
  mul_(self: readonly Tensor[], scalar: number): void {
    if (self.length === 0) return;
    aten('_foreach_mul_.Scalar').callVoid(hs(self), scalar);
  },

  /** self[i] /= scalar. @example foreach.div_(roots, Math.sqrt(bc2)) */
  div_(self: readonly Tensor[], scalar: number): void {
    if (self.length === 0) return;
    aten('_foreach_div_.Scalar').callVoid(hs(self), scalar);
  },

  /** self[i] += value * t1[i] * t2[i]. @example foreach.addcmul_(sq, gs, gs, 1 - beta2) */
  addcmul_(self: readonly Tensor[], t1: readonly Tensor[], t2: readonly Tensor[], value: number): void {
    if (self.length === 0) return;
    checkSameLength('addcmul_', self, t1, t2);
    aten('_foreach_addcmul_.Scalar').callVoid(hs(self), hs(t1), hs(t2), value);
  },

  /** self[i] += value * t1[i] / t2[i]. @example foreach.addcdiv_(ps, m, denom, -stepSize) */
  addcdiv_(self: readonly Tensor[], t1: readonly Tensor[], t2: readonly Tensor[], value: number): void {
    if (self.length === 0) return;
    checkSameLength('addcdiv_', self, t1, t2);
    aten('_foreach_addcdiv_.Scalar').callVoid(hs(self), hs(t1), hs(t2), value);
  },

  /** self[i] = max(self[i], other[i]). @example foreach.maximum_(maxSq, sq) */
  maximum_(self: readonly Tensor[], other: readonly Tensor[]): void {
    if (self.length === 0) return;
    checkSameLength('maximum_', self, other);
    aten('_foreach_maximum_.List').callVoid(hs(self), hs(other));
  },

  /** New tensors sqrt(self[i]). @example const roots = foreach.sqrt(sq) */
  sqrt(self: readonly Tensor[]): Tensor[] {
    if (self.length === 0) return [];
    return wrapAll(aten('_foreach_sqrt').call(hs(self)));
  },

  /** New tensors -self[i]. @example const ascent = foreach.neg(grads) */
  neg(self: readonly Tensor[]): Tensor[] {
    if (self.length === 0) return [];
    return wrapAll(aten('_foreach_neg').call(hs(self)));
  },

  /** The p-norm of each tensor (0-dim tensors). @example const norms = foreach.norm(grads, 2) */
  norm(self: readonly Tensor[], ord = 2): Tensor[] {
    if (self.length === 0) return [];
    return wrapAll(aten('_foreach_norm.Scalar').call(hs(self), ord));
  },
};
