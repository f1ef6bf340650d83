/**
 * Shape and layout operators. Every reshaping operator (view, reshape, flatten, squeeze,
 * unsqueeze) becomes one Reshape to the traced output shape, whose batch dim stays dynamic
 * (-1, or computed from the input's batch size when several dims depend on it).
 */
import { isDynamic } from '../batch-dims.js';
import type { OpContext } from '../op-context.js';
import { ONNX_CAST } from '../op-context.js';

import type { OpTable } from './mapping.js';

function reshape(ctx: OpContext): void {
  ctx.out(ctx.node('Reshape', [ctx.input(0), ctx.reshapeTarget(ctx.outDims())]));
}

function identity(ctx: OpContext): void {
  ctx.out(ctx.node('Identity', [ctx.input(0)]));
}

function permute(ctx: OpContext): void {
  const rank = ctx.rank(0);
  const perm = ctx.literal<number[]>(1).map((d) => (d < 0 ? d + rank : d));
  ctx.out(ctx.node('Transpose', [ctx.input(0)], { perm }));
}

function transpose(ctx: OpContext): void {
  const rank = ctx.rank(0);
  const a = ctx.axis(1);
  const b = ctx.axis(2);
  const perm = Array.from({ length: rank }, (_, i) => (i === a ? b : i === b ? a : i));
  ctx.out(ctx.node('Transpose', [ctx.input(0)], { perm }));
}

function t(ctx: OpContext): void {
  ctx.out(ctx.rank(0) < 2 ? ctx.node('Identity', [ctx.input(0)]) : ctx.node('Transpose', [ctx.input(0)], { perm: [1, 0] }));
}

function expand(ctx: OpContext): void {
  ctx.out(ctx.node('Expand', [ctx.input(0), ctx.shapeTensor(ctx.outDims())]));
}

function cat(ctx: OpContext): void {
  const inputs = ctx.inputs(0);
  const rank = ctx.outDims().length;
  let axis = ctx.literal<number>(1, 0);
  if (axis < 0) axis += rank;
  ctx.out(inputs.length === 1 ? ctx.node('Identity', inputs) : ctx.node('Concat', inputs, { axis }));
}

// Splits along `axis` into pieces whose sizes are the traced outputs' sizes there.
function splitByOutputs(ctx: OpContext, axis: number): void {
  const sizes = ctx.op.outputs.map((_, j) => ctx.outDims(j)[axis]!);
  if (sizes.some(isDynamic)) throw ctx.fail('splits along the batch dimension, which the exported graph keeps dynamic');
  const outs = ctx.graph.node('Split', [ctx.input(0), ctx.graph.int64(sizes as number[])], { axis }, sizes.length, ctx.scope);
  outs.forEach((o, j) => ctx.out(o, j));
}

function split(ctx: OpContext): void {
  splitByOutputs(ctx, ctx.axis(2, 0, 0));
}

function select(ctx: OpContext): void {
  const axis = ctx.axis(1);
  const size = ctx.dims(0)[axis]!;
  if (typeof size !== 'number') throw ctx.fail('selects along the batch dimension, which the exported graph keeps dynamic');
  let index = ctx.literal<number>(2);
  if (index < 0) index += size;
  ctx.out(ctx.node('Gather', [ctx.input(0), ctx.graph.int64([index], true)], { axis }));
}

function slice(ctx: OpContext): void {
  const axis = ctx.axis(1, 0, 0);
  const size = ctx.dims(0)[axis]!;
  const start = ctx.literal<number | null>(2, null) ?? 0;
  const end = ctx.literal<number | null>(3, null) ?? Number.MAX_SAFE_INTEGER;
  const step = ctx.literal<number>(4, 1);
  if (isDynamic(size) && !(start === 0 && end >= Number.MAX_SAFE_INTEGER / 2 && step === 1))
    throw ctx.fail('slices the batch dimension, which the exported graph keeps dynamic');
  const clampEnd = Math.min(end, 2 ** 62);
  ctx.out(ctx.node('Slice', [ctx.input(0), ctx.graph.int64([start]), ctx.graph.int64([clampEnd]), ctx.graph.int64([axis]), ctx.graph.int64([step])]));
}

function narrow(ctx: OpContext): void {
  const axis = ctx.axis(1);
  const start = ctx.literal<number>(2);
  const length = ctx.literal<number>(3);
  ctx.out(ctx.node('Slice', [ctx.input(0), ctx.graph.int64([start]), ctx.graph.int64([start + length]), ctx.graph.int64([axis])]));
}

function pad(ctx: OpContext): void {
  const mode = ctx.literal<string>(2, 'constant');
  const value = ctx.literal<number | null>(3, null) ?? 0;
  const torchPads = ctx.literal<number[]>(1);
  const rank = ctx.rank(0);
  // ATen lists (begin, end) pairs from the last dim backwards; ONNX all begins, then all ends.
  const begins = Array<number>(rank).fill(0);
  const ends = Array<number>(rank).fill(0);
  for (let k = 0; k < torchPads.length / 2; k++) {
    begins[rank - 1 - k] = torchPads[2 * k]!;
    ends[rank - 1 - k] = torchPads[2 * k + 1]!;
  }
  const onnxMode = mode === 'replicate' ? 'edge' : mode;
  if (!['constant', 'reflect', 'edge'].includes(onnxMode)) throw ctx.fail(`with mode '${mode}' has no ONNX mapping`);
  const inputs = [ctx.input(0), ctx.graph.int64([...begins, ...ends])];
  if (onnxMode === 'constant') inputs.push(ctx.graph.float([value], [], ctx.outDtype()));
  ctx.out(ctx.node('Pad', inputs, { mode: onnxMode }));
}

function cast(ctx: OpContext): void {
  const to = ONNX_CAST[ctx.outDtype()];
  if (to === undefined) throw ctx.fail(`casts to ${ctx.outDtype()}, which has no ONNX type here`);
  ctx.out(ctx.node('Cast', [ctx.input(0)], { to }));
}

export const SHAPE: OpTable = {
  view: reshape,
  reshape,
  _reshape_alias: reshape,
  _unsafe_view: reshape,
  'flatten.using_ints': reshape,
  unsqueeze: reshape,
  'squeeze.dim': reshape,
  squeeze: reshape,
  contiguous: identity,
  clone: identity,
  detach: identity,
  alias: identity,
  permute,
  'transpose.int': transpose,
  t,
  expand,
  cat,
  stack: (ctx) => {
    // stack = unsqueeze each, concatenate
    const rank = ctx.outDims().length;
    let axis = ctx.literal<number>(1, 0);
    if (axis < 0) axis += rank;
    const parts = ctx.inputs(0).map((x) => ctx.node('Unsqueeze', [x, ctx.graph.int64([axis])]));
    ctx.out(parts.length === 1 ? parts[0]! : ctx.node('Concat', parts, { axis }));
  },
  'split.Tensor': split,
  split_with_sizes: split,
  chunk: split,
  unbind: (ctx) => {
    // unbind = split into size-1 pieces, each squeezed
    const axis = ctx.axis(1, 0, 0);
    const n = ctx.op.outputs.length;
    const pieces = ctx.graph.node('Split', [ctx.input(0), ctx.graph.int64(Array(n).fill(1))], { axis }, n, ctx.scope);
    pieces.forEach((p, j) => ctx.out(ctx.node('Squeeze', [p, ctx.graph.int64([axis])]), j));
  },
  'select.int': select,
  'slice.Tensor': slice,
  narrow,
  pad,
  constant_pad_nd: (ctx) => {
    const rank = ctx.rank(0);
    const torchPads = ctx.literal<number[]>(1);
    const begins = Array<number>(rank).fill(0);
    const ends = Array<number>(rank).fill(0);
    for (let k = 0; k < torchPads.length / 2; k++) {
      begins[rank - 1 - k] = torchPads[2 * k]!;
      ends[rank - 1 - k] = torchPads[2 * k + 1]!;
    }
    const value = ctx.literal<number>(2, 0);
    ctx.out(ctx.node('Pad', [ctx.input(0), ctx.graph.int64([...begins, ...ends]), ctx.graph.float([value], [], ctx.outDtype())], { mode: 'constant' }));
  },
  _to_copy: cast,
  'to.dtype': cast,
  'to.dtype_layout': cast,
};
