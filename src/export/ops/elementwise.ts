/**
 * Element-wise arithmetic (aten add/sub/mul/div with tensors or scalars, their in-place forms,
 * unary math). ONNX broadcasts as ATen does; scalars become constants of the result's dtype.
 */
import type { OpContext } from '../op-context.js';
import type { OpTable } from './mapping.js';

// The second operand as a graph value: a tensor argument or a scalar constant.
function operand(ctx: OpContext, i: number): string {
  if (ctx.has(i)) return ctx.input(i, ctx.outDtype());
  const s = ctx.literal<number>(i);
  return ctx.outDtype() === 'int64' ? ctx.graph.int64([s], true) : ctx.graph.float([s], [], ctx.outDtype());
}

// a op (alpha * b), alpha from argument 2 (default 1).
function withAlpha(onnxOp: 'Add' | 'Sub'): (ctx: OpContext) => void {
  return (ctx) => {
    const alpha = ctx.literal<number>(2, 1);
    let b = operand(ctx, 1);
    if (alpha !== 1) b = ctx.node('Mul', [b, ctx.graph.float([alpha], [], ctx.outDtype())]);
    ctx.out(ctx.node(onnxOp, [ctx.input(0, ctx.outDtype()), b]));
  };
}

function binary(onnxOp: string): (ctx: OpContext) => void {
  return (ctx) => ctx.out(ctx.node(onnxOp, [ctx.input(0, ctx.outDtype()), operand(ctx, 1)]));
}

function divide(ctx: OpContext): void {
  const mode = ctx.op.args.length > 2 ? ctx.literal<string | null>(2, null) : null;
  let q = ctx.node('Div', [ctx.input(0, ctx.outDtype()), operand(ctx, 1)]);
  if (mode === 'floor') q = ctx.node('Floor', [q]);
  else if (mode === 'trunc') throw ctx.fail("with rounding_mode 'trunc' has no ONNX mapping");
  ctx.out(q);
}

function unary(onnxOp: string): (ctx: OpContext) => void {
  return (ctx) => ctx.out(ctx.node(onnxOp, [ctx.input(0)]));
}

function rsqrt(ctx: OpContext): void {
  ctx.out(ctx.node('Reciprocal', [ctx.node('Sqrt', [ctx.input(0)])]));
}

function powScalar(ctx: OpContext): void {
  ctx.out(ctx.node('Pow', [ctx.input(0), ctx.graph.float([ctx.literal<number>(1)], [], ctx.outDtype())]));
}

function clamp(ctx: OpContext): void {
  const lo = ctx.literal<number | null>(1, null);
  const hi = ctx.literal<number | null>(2, null);
  const t = ctx.outDtype();
  ctx.out(ctx.node('Clip', [ctx.input(0), lo === null ? '' : ctx.graph.float([lo], [], t), hi === null ? '' : ctx.graph.float([hi], [], t)]));
}

function rsub(ctx: OpContext): void {
  // other - alpha * self
  const alpha = ctx.literal<number>(2, 1);
  let a = ctx.input(0, ctx.outDtype());
  if (alpha !== 1) a = ctx.node('Mul', [a, ctx.graph.float([alpha], [], ctx.outDtype())]);
  ctx.out(ctx.node('Sub', [operand(ctx, 1), a]));
}

export const ELEMENTWISE: OpTable = {
  'add.Tensor': withAlpha('Add'),
  'add_.Tensor': withAlpha('Add'),
  'add.Scalar': withAlpha('Add'),
  'add_.Scalar': withAlpha('Add'),
  'sub.Tensor': withAlpha('Sub'),
  'sub_.Tensor': withAlpha('Sub'),
  'sub.Scalar': withAlpha('Sub'),
  'sub_.Scalar': withAlpha('Sub'),
  'rsub.Scalar': rsub,
  'rsub.Tensor': rsub,
  'mul.Tensor': binary('Mul'),
  'mul_.Tensor': binary('Mul'),
  'mul.Scalar': binary('Mul'),
  'mul_.Scalar': binary('Mul'),
  'div.Tensor': divide,
  'div_.Tensor': divide,
  'div.Scalar': divide,
  'div_.Scalar': divide,
  'div.Tensor_mode': divide,
  maximum: binary('Max'),
  minimum: binary('Min'),
  'pow.Tensor_Scalar': powScalar,
  neg: unary('Neg'),
  abs: unary('Abs'),
  sqrt: unary('Sqrt'),
  rsqrt: rsqrt,
  exp: unary('Exp'),
  log: unary('Log'),
  reciprocal: unary('Reciprocal'),
  floor: unary('Floor'),
  ceil: unary('Ceil'),
  erf: unary('Erf'),
  clamp: clamp,
  clamp_: clamp,
};
