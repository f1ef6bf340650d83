/**
 * Activations and softmax. ONNX opset 17 has no Gelu or SiLU, so those are written out
 * (erf form for exact GELU, tanh form for the approximation; x·sigmoid(x)).
 */
import { FloatAttr } from '../onnx-graph.js';
import type { OpContext } from '../op-context.js';
import type { OpTable } from './mapping.js';

const simple = (onnxOp: string) => (ctx: OpContext) => ctx.out(ctx.node(onnxOp, [ctx.input(0)]));

function gelu(ctx: OpContext): void {
  const x = ctx.input(0);
  const t = ctx.outDtype();
  const approximate = ctx.literal<string>(1, 'none');
  const g = ctx.graph;
  let inner: string;
  if (approximate === 'tanh') {
    // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
    const cube = ctx.node('Mul', [ctx.node('Mul', [x, x]), x]);
    const poly = ctx.node('Add', [x, ctx.node('Mul', [cube, g.float([0.044715], [], t)])]);
    inner = ctx.node('Tanh', [ctx.node('Mul', [poly, g.float([Math.sqrt(2 / Math.PI)], [], t)])]);
  } else {
    inner = ctx.node('Erf', [ctx.node('Div', [x, g.float([Math.SQRT2], [], t)])]);
  }
  const half = ctx.node('Mul', [x, g.float([0.5], [], t)]);
  ctx.out(ctx.node('Mul', [half, ctx.node('Add', [inner, g.float([1], [], t)])]));
}

function silu(ctx: OpContext): void {
  const x = ctx.input(0);
  ctx.out(ctx.node('Mul', [x, ctx.node('Sigmoid', [x])]));
}

function hardtanh(ctx: OpContext): void {
  const t = ctx.outDtype();
  const lo = ctx.literal<number>(1, -1);
  const hi = ctx.literal<number>(2, 1);
  ctx.out(ctx.node('Clip', [ctx.input(0), ctx.graph.float([lo], [], t), ctx.graph.float([hi], [], t)]));
}

function hardsigmoid(ctx: OpContext): void {
  // relu6(x + 3) / 6
  ctx.out(ctx.node('HardSigmoid', [ctx.input(0)], { alpha: new FloatAttr(1 / 6), beta: new FloatAttr(0.5) }));
}

function leakyRelu(ctx: OpContext): void {
  ctx.out(ctx.node('LeakyRelu', [ctx.input(0)], { alpha: new FloatAttr(ctx.literal<number>(1, 0.01)) }));
}

function softmaxLike(onnxOp: 'Softmax' | 'LogSoftmax'): (ctx: OpContext) => void {
  return (ctx) => {
    const dtype = ctx.literal<number | null>(2, null);
    if (dtype !== null) throw ctx.fail('with a dtype argument has no ONNX mapping');
    ctx.out(ctx.node(onnxOp, [ctx.input(0)], { axis: ctx.axis(1) }));
  };
}

function dropout(ctx: OpContext): void {
  if (ctx.literal<boolean>(2)) throw ctx.fail('in training mode cannot be exported (call model.eval())');
  ctx.out(ctx.node('Identity', [ctx.input(0)]));
}

export const ACTIVATION: OpTable = {
  relu: simple('Relu'),
  relu_: simple('Relu'),
  sigmoid: simple('Sigmoid'),
  sigmoid_: simple('Sigmoid'),
  tanh: simple('Tanh'),
  tanh_: simple('Tanh'),
  hardswish: simple('HardSwish'),
  hardswish_: simple('HardSwish'),
  hardsigmoid,
  hardsigmoid_: hardsigmoid,
  hardtanh,
  hardtanh_: hardtanh,
  leaky_relu: leakyRelu,
  leaky_relu_: leakyRelu,
  gelu,
  gelu_: gelu,
  silu,
  silu_: silu,
  'softmax.int': softmaxLike('Softmax'),
  'log_softmax.int': softmaxLike('LogSoftmax'),
  dropout,
  dropout_: dropout,
};
