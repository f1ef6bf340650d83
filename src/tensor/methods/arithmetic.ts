/** Element-wise arithmetic with broadcasting; a JS number is a scalar operand. */
import { aten } from '../../native/aten.js';
import { native } from '../../native/binding.js';
import { Tensor, wrap } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** this + alpha * other */
    add(other: Tensor | number, alpha?: number): Tensor;
    /** this - alpha * other */
    sub(other: Tensor | number, alpha?: number): Tensor;
    /** this * other, element-wise with broadcasting. */
    mul(other: Tensor | number): Tensor;
    /** Division; `roundingMode` 'trunc' or 'floor' for integer-style division. */
    div(other: Tensor | number, roundingMode?: 'trunc' | 'floor'): Tensor;
    /** this raised to `exponent` (a number or a tensor of exponents), element-wise. */
    pow(exponent: Tensor | number): Tensor;
    /** -this */
    neg(): Tensor;
    /** |this|, element-wise. */
    abs(): Tensor;
    /** The square root, element-wise (NaN for negative floats). */
    sqrt(): Tensor;
    /** 1 / sqrt(this), element-wise, in one operation. */
    rsqrt(): Tensor;
    /** e raised to each element. */
    exp(): Tensor;
    /** The natural logarithm, element-wise (-Infinity at 0, NaN below). */
    log(): Tensor;
    /** 1 / this, element-wise. */
    reciprocal(): Tensor;
    /** -1, 0 or 1 by the sign of each element. */
    sign(): Tensor;
    /** Each element rounded down. */
    floor(): Tensor;
    /** Each element rounded up. */
    ceil(): Tensor;
    /** Each element rounded to the nearest integer, halves to even (as PyTorch and NumPy). */
    round(): Tensor;
    /** this * this, element-wise. */
    square(): Tensor;
    /** Limits values to [min, max]; either bound may be omitted (null). */
    clamp(min: number | null, max?: number | null): Tensor;
    /** The larger of the two at each position (broadcast); NaN wins. */
    maximum(other: Tensor): Tensor;
    /** The smaller of the two at each position (broadcast); NaN wins. */
    minimum(other: Tensor): Tensor;
    /** this + (end - this) * weight */
    lerp(end: Tensor, weight: number): Tensor;
    // in place (trailing underscore, as in PyTorch): return this
    /** In place: this += alpha * other. Returns this. */
    add_(other: Tensor | number, alpha?: number): Tensor;
    /** In place: this -= alpha * other. Returns this. */
    sub_(other: Tensor | number, alpha?: number): Tensor;
    /** In place: this *= other. Returns this. */
    mul_(other: Tensor | number): Tensor;
    /** In place: this /= other. Returns this. */
    div_(other: Tensor | number): Tensor;
    /** In place `clamp`: limits values to [min, max]. Returns this. */
    clamp_(min: number | null, max?: number | null): Tensor;
    /** In place `sqrt`. Returns this. */
    sqrt_(): Tensor;
    /** In place: this = -this. Returns this. */
    neg_(): Tensor;
    /** In place: this += (end - this) * weight (the exponential moving average step). Returns this. */
    lerp_(end: Tensor, weight: number): Tensor;
    /** this += value * t1 * t2 */
    addcmul_(t1: Tensor, t2: Tensor, value?: number): Tensor;
    /** this += value * t1 / t2 */
    addcdiv_(t1: Tensor, t2: Tensor, value?: number): Tensor;
    /** Sets every element to 0. Returns this. */
    zero_(): Tensor;
    /** Sets every element to `value`. Returns this. */
    fill_(value: number): Tensor;
    /** Copies `src` (broadcast, cast) into this tensor. */
    copy_(src: Tensor): Tensor;
    /** Fills with samples of U[from, to) (default [0, 1)) from the global generator (`manualSeed`). Returns this. */
    uniform_(from?: number, to?: number): Tensor;
    /** Fills with samples of N(mean, std²) (default N(0, 1)) from the global generator (`manualSeed`). Returns this. */
    normal_(mean?: number, std?: number): Tensor;
  }
}

const isT = (x: Tensor | number): x is Tensor => x instanceof Tensor;
const P = Tensor.prototype;
// The commonest operations keep their operator objects at hand (no lookup by name per call).
const ADD = aten('add.Tensor');
const ADD_S = aten('add.Scalar');
const SUB = aten('sub.Tensor');
const SUB_S = aten('sub.Scalar');
const MUL_S = aten('mul.Scalar');

// Tensor-tensor add/sub/mul/div take the native fast path (native/src/fast.cc).

P.add = function (other, alpha) {
  if (isT(other)) return new Tensor(alpha === undefined ? native.add(this.handle, other.handle) : ADD.call(this.handle, other.handle, alpha));
  return wrap(ADD_S.call(this.handle, other, alpha));
};
P.sub = function (other, alpha) {
  if (isT(other)) return new Tensor(alpha === undefined ? native.sub(this.handle, other.handle) : SUB.call(this.handle, other.handle, alpha));
  return wrap(SUB_S.call(this.handle, other, alpha));
};
P.mul = function (other) {
  return isT(other) ? new Tensor(native.mul(this.handle, other.handle)) : wrap(MUL_S.call(this.handle, other));
};
P.div = function (other, roundingMode) {
  if (roundingMode) {
    return wrap(
      isT(other) ? aten('div.Tensor_mode').call(this.handle, other.handle, roundingMode) : aten('div.Scalar_mode').call(this.handle, other, roundingMode),
    );
  }
  return isT(other) ? new Tensor(native.div(this.handle, other.handle)) : wrap(aten('div.Scalar').call(this.handle, other));
};
P.pow = function (e) {
  return wrap(isT(e) ? aten('pow.Tensor_Tensor').call(this.handle, e.handle) : aten('pow.Tensor_Scalar').call(this.handle, e));
};
for (const name of ['neg', 'abs', 'sqrt', 'rsqrt', 'exp', 'log', 'reciprocal', 'sign', 'floor', 'ceil', 'round', 'square'] as const) {
  P[name] = function (this: Tensor) {
    return wrap(aten(name).call(this.handle));
  };
}
P.clamp = function (min, max) {
  return wrap(aten('clamp').call(this.handle, min ?? null, max ?? null));
};
P.maximum = function (o) {
  return wrap(aten('maximum').call(this.handle, o.handle));
};
P.minimum = function (o) {
  return wrap(aten('minimum').call(this.handle, o.handle));
};
P.lerp = function (end, weight) {
  return wrap(aten('lerp.Scalar').call(this.handle, end.handle, weight));
};

P.add_ = function (other, alpha) {
  if (isT(other)) aten('add_.Tensor').callVoid(this.handle, other.handle, alpha);
  else aten('add_.Scalar').callVoid(this.handle, other, alpha);
  return this;
};
P.sub_ = function (other, alpha) {
  if (isT(other)) aten('sub_.Tensor').callVoid(this.handle, other.handle, alpha);
  else aten('sub_.Scalar').callVoid(this.handle, other, alpha);
  return this;
};
P.mul_ = function (other) {
  if (isT(other)) aten('mul_.Tensor').callVoid(this.handle, other.handle);
  else aten('mul_.Scalar').callVoid(this.handle, other);
  return this;
};
P.div_ = function (other) {
  if (isT(other)) aten('div_.Tensor').callVoid(this.handle, other.handle);
  else aten('div_.Scalar').callVoid(this.handle, other);
  return this;
};
P.clamp_ = function (min, max) {
  aten('clamp_').callVoid(this.handle, min ?? null, max ?? null);
  return this;
};
P.sqrt_ = function () {
  aten('sqrt_').callVoid(this.handle);
  return this;
};
P.neg_ = function () {
  aten('neg_').callVoid(this.handle);
  return this;
};
P.lerp_ = function (end, weight) {
  aten('lerp_.Scalar').callVoid(this.handle, end.handle, weight);
  return this;
};
P.addcmul_ = function (t1, t2, value) {
  aten('addcmul_').callVoid(this.handle, t1.handle, t2.handle, value);
  return this;
};
P.addcdiv_ = function (t1, t2, value) {
  aten('addcdiv_').callVoid(this.handle, t1.handle, t2.handle, value);
  return this;
};
P.zero_ = function () {
  aten('zero_').callVoid(this.handle);
  return this;
};
P.fill_ = function (value) {
  aten('fill_.Scalar').callVoid(this.handle, value);
  return this;
};
P.copy_ = function (src) {
  aten('copy_').callVoid(this.handle, src.handle);
  return this;
};
P.uniform_ = function (from = 0, to = 1) {
  aten('uniform_').callVoid(this.handle, from, to);
  return this;
};
P.normal_ = function (mean = 0, std = 1) {
  aten('normal_').callVoid(this.handle, mean, std);
  return this;
};
