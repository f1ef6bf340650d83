/**
 * Batch, layer and group normalisation. BatchNormalization nodes after a convolution are
 * folded into it later (fold-batch-norm.ts); layer norm is opset 17's LayerNormalization.
 */
import { FloatAttr } from '../onnx-graph.js';
import type { OpContext } from '../op-context.js';
import type { OpTable } from './mapping.js';

// A per-channel parameter, or a constant of `fill` when the layer has none.
function channelParam(ctx: OpContext, i: number, channels: number, fill: number): string {
  return ctx.has(i) ? ctx.input(i) : ctx.graph.float(Array(channels).fill(fill), [channels], ctx.outDtype());
}

function batchNorm(ctx: OpContext): void {
  // batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
  if (ctx.literal<boolean>(5)) throw ctx.fail('uses batch statistics (training mode, or no running statistics); call model.eval() before exporting');
  const channels = ctx.value(3).shape[0]!;
  const inputs = [ctx.input(0), channelParam(ctx, 1, channels, 1), channelParam(ctx, 2, channels, 0), ctx.input(3), ctx.input(4)];
  ctx.out(ctx.node('BatchNormalization', inputs, { epsilon: new FloatAttr(ctx.literal<number>(7, 1e-5)) }));
}

function layerNorm(ctx: OpContext): void {
  // layer_norm(input, normalized_shape, weight, bias, eps, cudnn_enable)
  const shape = ctx.literal<number[]>(1);
  const size = shape.reduce((a, b) => a * b, 1);
  const inputs = [ctx.input(0), ctx.has(2) ? ctx.input(2) : ctx.graph.float(Array(size).fill(1), shape)];
  if (ctx.has(3)) inputs.push(ctx.input(3));
  ctx.out(ctx.node('LayerNormalization', inputs, { axis: -shape.length, epsilon: new FloatAttr(ctx.literal<number>(4, 1e-5)) }));
}

function groupNorm(ctx: OpContext): void {
  // group_norm(input, num_groups, weight, bias, eps, cudnn_enabled): normalise [N, G, rest], then per-channel affine
  const groups = ctx.literal<number>(1);
  const dims = ctx.dims(0);
  const channels = dims[1] as number;
  const grouped = ctx.node('Reshape', [ctx.input(0), ctx.graph.int64([0, groups, -1])]);
  const normed = ctx.node(
    'InstanceNormalization',
    [grouped, ctx.graph.float(Array(groups).fill(1), [groups]), ctx.graph.float(Array(groups).fill(0), [groups])],
    {
      epsilon: new FloatAttr(ctx.literal<number>(4, 1e-5)),
    },
  );
  let y = ctx.node('Reshape', [normed, ctx.reshapeTarget(dims)]);
  const perChannel = [channels, ...Array(dims.length - 2).fill(1)];
  if (ctx.has(2)) y = ctx.node('Mul', [y, ctx.node('Reshape', [ctx.input(2), ctx.graph.int64(perChannel)])]);
  if (ctx.has(3)) y = ctx.node('Add', [y, ctx.node('Reshape', [ctx.input(3), ctx.graph.int64(perChannel)])]);
  ctx.out(y);
}

export const NORMALIZATION: OpTable = {
  batch_norm: batchNorm,
  layer_norm: layerNorm,
  group_norm: groupNorm,
};
