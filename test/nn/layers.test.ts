// Layer modules against torch.nn with the same parameters: options and defaults reach the
// functional ops as PyTorch's modules pass them, and gradients reach the registered
// parameters. (The functional ops themselves are tested in test/nn/functional.)
import { randn, rand, type Tensor } from '../../src/index.js';
import {
  Module,
  Conv2d,
  Linear,
  LayerNorm,
  GroupNorm,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  Flatten,
  ReLU,
  ReLU6,
  SiLU,
  GELU,
  Hardswish,
  Hardsigmoid,
  Sigmoid,
  Tanh,
  Identity,
  Dropout,
  withoutInit,
} from '../../src/nn/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

/** The module with its parameters replaced by the case's tensors (so gradients reach them). */
function withParams<M extends Module>(m: M, params: Record<string, Tensor>): M {
  for (const [k, t] of Object.entries(params)) {
    const old = (m as any)[k] as Tensor | null;
    m.registerParameter(k, t);
    old?.dispose();
  }
  return m;
}

// P(module, weight=..., bias=...): torch.nn module whose parameters are the case's tensors.
const PRELUDE = `
def P(m, **ps):
    for k, v in ps.items():
        delattr(m, k)
        setattr(m, k, v)
    return m
`;

const nn = (expr: string) => `torch.nn.${expr}`;

const CASES: ParityCase[] = [
  {
    name: 'Conv2d stride, padding, groups',
    inputs: { x: randn([2, 8, 9, 9]), w: randn([12, 2, 3, 3]), b: randn([12]) },
    grad: ['x', 'w', 'b'],
    js: (t) => withoutInit(() => withParams(new Conv2d(8, 12, 3, { stride: 2, padding: 1, groups: 4 }), { weight: t.w!, bias: t.b! })).forward(t.x!),
    py: `P(${nn('Conv2d(8, 12, 3, stride=2, padding=1, groups=4)')}, weight=t['w'], bias=t['b'])(t['x'])`,
  },
  {
    name: 'Conv2d rectangular kernel, dilation, no bias',
    inputs: { x: randn([1, 4, 11, 10]), w: randn([6, 4, 3, 5]) },
    grad: ['x', 'w'],
    js: (t) => withoutInit(() => withParams(new Conv2d(4, 6, [3, 5], { padding: [2, 1], dilation: [2, 1], bias: false }), { weight: t.w! })).forward(t.x!),
    py: `P(${nn('Conv2d(4, 6, (3, 5), padding=(2, 1), dilation=(2, 1), bias=False)')}, weight=t['w'])(t['x'])`,
  },
  {
    name: "Conv2d padding 'same' with an even kernel",
    inputs: { x: randn([1, 3, 7, 8]), w: randn([5, 3, 4, 4]), b: randn([5]) },
    grad: ['x', 'w'],
    js: (t) => withoutInit(() => withParams(new Conv2d(3, 5, 4, { padding: 'same' }), { weight: t.w!, bias: t.b! })).forward(t.x!),
    py: `P(${nn("Conv2d(3, 5, 4, padding='same')")}, weight=t['w'], bias=t['b'])(t['x'])`,
  },
  {
    name: 'Linear over the last dimension',
    inputs: { x: randn([3, 4, 5]), w: randn([7, 5]), b: randn([7]) },
    grad: ['x', 'w', 'b'],
    js: (t) => withoutInit(() => withParams(new Linear(5, 7), { weight: t.w!, bias: t.b! })).forward(t.x!),
    py: `P(${nn('Linear(5, 7)')}, weight=t['w'], bias=t['b'])(t['x'])`,
  },
  {
    name: 'Linear without bias',
    inputs: { x: randn([3, 5]), w: randn([2, 5]) },
    grad: ['x', 'w'],
    js: (t) => withoutInit(() => withParams(new Linear(5, 2, { bias: false }), { weight: t.w! })).forward(t.x!),
    py: `P(${nn('Linear(5, 2, bias=False)')}, weight=t['w'])(t['x'])`,
  },
  {
    name: 'LayerNorm over two trailing dimensions',
    inputs: { x: randn([2, 3, 4, 5]), w: randn([4, 5]), b: randn([4, 5]) },
    grad: ['x', 'w', 'b'],
    js: (t) => withParams(new LayerNorm([4, 5], { eps: 1e-6 }), { weight: t.w!, bias: t.b! }).forward(t.x!),
    py: `P(${nn('LayerNorm([4, 5], eps=1e-6)')}, weight=t['w'], bias=t['b'])(t['x'])`,
  },
  {
    name: 'GroupNorm',
    inputs: { x: randn([2, 6, 4, 4]), w: randn([6]), b: randn([6]) },
    grad: ['x', 'w', 'b'],
    js: (t) => withParams(new GroupNorm(3, 6), { weight: t.w!, bias: t.b! }).forward(t.x!),
    py: `P(${nn('GroupNorm(3, 6)')}, weight=t['w'], bias=t['b'])(t['x'])`,
  },
  {
    name: 'MaxPool2d stride and padding',
    inputs: { x: randn([2, 3, 9, 9]) },
    grad: ['x'],
    js: (t) => new MaxPool2d(3, { stride: 2, padding: 1 }).forward(t.x!),
    py: `${nn('MaxPool2d(3, stride=2, padding=1)')}(t['x'])`,
  },
  {
    name: 'MaxPool2d default stride, ceil mode',
    inputs: { x: randn([1, 2, 10, 10]) },
    grad: ['x'],
    js: (t) => new MaxPool2d(3, { ceilMode: true }).forward(t.x!),
    py: `${nn('MaxPool2d(3, ceil_mode=True)')}(t['x'])`,
  },
  {
    name: 'AvgPool2d without padded zeros',
    inputs: { x: randn([2, 3, 9, 9]) },
    grad: ['x'],
    js: (t) => new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(t.x!),
    py: `${nn('AvgPool2d(3, stride=2, padding=1, count_include_pad=False)')}(t['x'])`,
  },
  {
    name: 'AvgPool2d defaults',
    inputs: { x: randn([1, 2, 7, 7]) },
    grad: ['x'],
    js: (t) => new AvgPool2d(2).forward(t.x!),
    py: `${nn('AvgPool2d(2)')}(t['x'])`,
  },
  {
    name: 'AdaptiveAvgPool2d to [3, same]',
    inputs: { x: randn([2, 3, 7, 5]) },
    grad: ['x'],
    js: (t) => new AdaptiveAvgPool2d([3, null]).forward(t.x!),
    py: `${nn('AdaptiveAvgPool2d((3, None))')}(t['x'])`,
  },
  { name: 'Flatten defaults', inputs: { x: randn([2, 3, 4, 5]) }, js: (t) => new Flatten().forward(t.x!), py: `${nn('Flatten()')}(t['x'])` },
  { name: 'Flatten(0, 1)', inputs: { x: randn([2, 3, 4]) }, js: (t) => new Flatten(0, 1).forward(t.x!), py: `${nn('Flatten(0, 1)')}(t['x'])` },
  ...(
    [
      ['ReLU', () => new ReLU(), 'ReLU()'],
      ['ReLU6', () => new ReLU6(), 'ReLU6()'],
      ['SiLU', () => new SiLU(), 'SiLU()'],
      ['GELU', () => new GELU(), 'GELU()'],
      ['GELU tanh', () => new GELU({ approximate: 'tanh' }), "GELU(approximate='tanh')"],
      ['Hardswish', () => new Hardswish(), 'Hardswish()'],
      ['Hardsigmoid', () => new Hardsigmoid(), 'Hardsigmoid()'],
      ['Sigmoid', () => new Sigmoid(), 'Sigmoid()'],
      ['Tanh', () => new Tanh(), 'Tanh()'],
      ['Identity', () => new Identity(), 'Identity()'],
    ] as [string, () => Module, string][]
  ).map(([name, make, py]): ParityCase => ({
    name,
    inputs: { x: rand([3, 50]).mul(10).sub(5) },
    grad: ['x'],
    js: (t) => make().forward(t.x!.mul(1)),
    py: `${nn(py)}(t['x'] * 1)`,
  })),
  {
    name: 'Dropout in eval mode is the identity',
    inputs: { x: randn([4, 6]) },
    grad: ['x'],
    js: (t) => new Dropout(0.3).eval().forward(t.x!.mul(1)),
    py: `${nn('Dropout(0.3)')}.eval()(t['x'] * 1)`,
  },
];

parityTests(CASES, PRELUDE);
