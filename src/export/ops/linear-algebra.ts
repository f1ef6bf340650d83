/**
 * Matrix products. A linear layer on 2-D input is one Gemm (weights kept as [out, in] with
 * transB, so quantisation sees the torch layout); on more dims, MatMul with the transposed
 * weight plus the bias.
 */
import { FloatAttr } from '../onnx-graph.js';
import type { OpContext } from '../op-context.js';
import type { OpTable } from './mapping.js';

function linear(ctx: OpContext): void {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (ctx.rank(0) === 2) {
    const inputs = [x, w];
    if (ctx.has(2)) inputs.push(ctx.input(2));
    return ctx.out(ctx.node('Gemm', inputs, { transB: 1 }));
  }
  // A constant weight is stored transposed ([in, out]), so quantisation sees a plain weight.
  const data = ctx.constantData(1);
  let wt: string;
  if (data instanceof Float32Array) {
    const [o, i] = ctx.value(1).shape as [number, number];
    const t = new Float32Array(data.length);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = data[r * i + c]!;
    wt = ctx.graph.initializer(ctx.graph.fresh(`${ctx.value(1).name ?? 'weight'}_t`), [i, o], t);
  } else wt = ctx.node('Transpose', [w], { perm: [1, 0] });
  let y = ctx.node('MatMul', [x, wt]);
  if (ctx.has(2)) y = ctx.node('Add', [y, ctx.input(2)]);
  ctx.out(y);
}

function matmul(ctx: OpContext): void {
  ctx.out(ctx.node('MatMul', [ctx.input(0), ctx.input(1)]));
}

function addmm(ctx: OpContext): void {
  // addmm(self, mat1, mat2, beta, alpha) = beta * self + alpha * mat1 @ mat2
  ctx.out(
    ctx.node('Gemm', [ctx.input(1), ctx.input(2), ctx.input(0)], {
      alpha: new FloatAttr(ctx.literal<number>(4, 1)),
      beta: new FloatAttr(ctx.literal<number>(3, 1)),
    }),
  );
}

export const LINEAR_ALGEBRA: OpTable = {
  linear,
  matmul,
  mm: matmul,
  bmm: matmul,
  addmm,
};
