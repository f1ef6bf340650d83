/**
 * Convolution and pooling. Pads are explicit (ONNX lists all begins, then all ends); where
 * ATen's ceil_mode rounds the output up, the extra window is expressed as end padding chosen
 * to give exactly the traced output size, since ONNX runtimes disagree on ceil_mode's edge.
 */
import type { OpContext } from '../op-context.js';
import type { OpTable } from './mapping.js';

function spatial(ctx: OpContext, i: number): number[] {
  return ctx
    .dims(i)
    .slice(2)
    .map((d) => {
      if (typeof d !== 'number') throw ctx.fail('has a spatial dimension that depends on the batch size');
      return d;
    });
}

function conv(ctx: OpContext, stringPadding: boolean): void {
  const w = ctx.value(1).shape;
  const kernel = w.slice(2);
  const n = kernel.length;
  const strides = ctx.ints(3, n, Array(n).fill(1));
  const dilations = ctx.ints(5, n, Array(n).fill(1));
  const group = ctx.literal<number>(6, 1);
  let begins: number[];
  let ends: number[];
  if (stringPadding) {
    const mode = ctx.literal<string>(4);
    const total = kernel.map((k, d) => (mode === 'same' ? dilations[d]! * (k - 1) : 0));
    begins = total.map((t) => Math.floor(t / 2));
    ends = total.map((t, d) => t - begins[d]!);
  } else {
    begins = ctx.ints(4, n, Array(n).fill(0));
    ends = begins;
  }
  const inputs = [ctx.input(0), ctx.input(1)];
  if (ctx.has(2)) inputs.push(ctx.input(2));
  ctx.out(ctx.node('Conv', inputs, { kernel_shape: kernel, strides, pads: [...begins, ...ends], dilations, group }));
}

// End pads that make floor-mode pooling produce the traced output size.
function endPads(ctx: OpContext, kernel: number[], strides: number[], begins: number[], dilations: number[]): number[] {
  const inSize = spatial(ctx, 0);
  const outSize = ctx.outDims().slice(2) as number[];
  return inSize.map((h, d) => Math.max(0, (outSize[d]! - 1) * strides[d]! + dilations[d]! * (kernel[d]! - 1) + 1 - h - begins[d]!));
}

function maxPool(ctx: OpContext): void {
  const kernel = ctx.ints(1, 2, []);
  const strides = ctx.ints(2, 2, kernel);
  const begins = ctx.ints(3, 2, [0, 0]);
  const dilations = ctx.ints(4, 2, [1, 1]);
  const ends = endPads(ctx, kernel, strides, begins, dilations);
  ctx.out(ctx.node('MaxPool', [ctx.input(0)], { kernel_shape: kernel, strides, pads: [...begins, ...ends], dilations }));
}

function avgPool(ctx: OpContext): void {
  const kernel = ctx.ints(1, 2, []);
  const strides = ctx.ints(2, 2, kernel);
  const begins = ctx.ints(3, 2, [0, 0]);
  let countIncludePad = ctx.literal<boolean>(5, true);
  if (ctx.literal<number | null>(6, null) !== null) throw ctx.fail('with divisor_override has no ONNX mapping');
  const floorEnds = begins;
  const ends = endPads(ctx, kernel, strides, begins, [1, 1]);
  const overhang = ends.some((e, d) => e > floorEnds[d]!);
  if (overhang && countIncludePad) {
    // ATen divides the overhanging window by the part inside input + padding: with no padding
    // that is count_include_pad=0; with padding there is no ONNX equivalent.
    if (begins.some((b) => b > 0)) throw ctx.fail('with ceil_mode, padding and count_include_pad together has no ONNX mapping');
    countIncludePad = false;
  }
  const pads = [...begins, ...ends.map((e, d) => Math.max(e, floorEnds[d]!))];
  ctx.out(ctx.node('AveragePool', [ctx.input(0)], { kernel_shape: kernel, strides, pads, count_include_pad: countIncludePad ? 1 : 0 }));
}

// Mean over ATen's adaptive bins along one axis: [floor(i·n/o), ceil((i+1)·n/o)).
function adaptiveAxis(ctx: OpContext, x: string, axis: number, n: number, o: number): string {
  if (n === o) return x;
  if (o === 1) return ctx.node('ReduceMean', [x], { axes: [axis], keepdims: 1 });
  const bins: string[] = [];
  for (let i = 0; i < o; i++) {
    const start = Math.floor((i * n) / o);
    const end = Math.ceil(((i + 1) * n) / o);
    const piece = ctx.node('Slice', [x, ctx.graph.int64([start]), ctx.graph.int64([end]), ctx.graph.int64([axis])]);
    bins.push(end - start === 1 ? piece : ctx.node('ReduceMean', [piece], { axes: [axis], keepdims: 1 }));
  }
  return ctx.node('Concat', bins, { axis });
}

function adaptiveAvgPool(ctx: OpContext): void {
  const [h, w] = spatial(ctx, 0).slice(-2) as [number, number];
  const [oh, ow] = ctx.ints(1, 2, []) as [number, number];
  const rank = ctx.rank(0);
  if (oh === 1 && ow === 1) return ctx.out(ctx.node('GlobalAveragePool', [ctx.input(0)]));
  if (h % oh === 0 && w % ow === 0) {
    const kernel = [h / oh, w / ow];
    return ctx.out(ctx.node('AveragePool', [ctx.input(0)], { kernel_shape: kernel, strides: kernel }));
  }
  // Uneven bins: mean over each bin, rows then columns (the bins are rectangles, so this is exact).
  ctx.out(adaptiveAxis(ctx, adaptiveAxis(ctx, ctx.input(0), rank - 2, h, oh), rank - 1, w, ow));
}

function axesOf(ctx: OpContext, i: number): number[] {
  const rank = ctx.rank(0);
  const dims = ctx.literal<number[] | number | null>(i, null);
  const list =
    dims === null
      ? Array.from({ length: rank }, (_, d) => d)
      : typeof dims === 'number'
        ? [dims]
        : dims.length
          ? dims
          : Array.from({ length: rank }, (_, d) => d);
  return list.map((d) => (d < 0 ? d + rank : d));
}

function mean(ctx: OpContext): void {
  if (ctx.literal<number | null>(3, null) !== null) throw ctx.fail('with a dtype argument has no ONNX mapping');
  ctx.out(ctx.node('ReduceMean', [ctx.input(0)], { axes: axesOf(ctx, 1), keepdims: ctx.literal<boolean>(2, false) ? 1 : 0 }));
}

function sum(ctx: OpContext): void {
  if (ctx.literal<number | null>(3, null) !== null) throw ctx.fail('with a dtype argument has no ONNX mapping');
  ctx.out(ctx.node('ReduceSum', [ctx.input(0), ctx.graph.int64(axesOf(ctx, 1))], { keepdims: ctx.literal<boolean>(2, false) ? 1 : 0 }));
}

function amax(ctx: OpContext): void {
  ctx.out(ctx.node('ReduceMax', [ctx.input(0)], { axes: axesOf(ctx, 1), keepdims: ctx.literal<boolean>(2, false) ? 1 : 0 }));
}

export const CONV_POOL: OpTable = {
  conv2d: (ctx) => conv(ctx, false),
  'conv2d.padding': (ctx) => conv(ctx, true),
  conv1d: (ctx) => conv(ctx, false),
  max_pool2d: maxPool,
  avg_pool2d: avgPool,
  adaptive_avg_pool2d: adaptiveAvgPool,
  'mean.dim': mean,
  'sum.dim_IntList': sum,
  amax,
};
