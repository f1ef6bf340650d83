// 1×1 bfloat16 CPU convolutions as matrix products (src/nn/functional/pointwise-conv.ts):
// same values, gradients and layout as the convolution, taken only where it applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, autocast, manualSeed, noGrad, randn, scope, setPointwiseConvAsMatmul, type Tensor } from '../../../src/index.js';
import { pointwiseConvAsMatmulOrNull } from '../../../src/nn/functional/pointwise-conv.js';
import { assertClose } from '../../support/assert-close.js';

manualSeed(11);

/** The 1×1 convolution and its input/weight/bias gradients in float64 from the same (rounded) values: the reference. */
function reference(x: Tensor, w: Tensor, b: Tensor, g: Tensor) {
  return scope(() => {
    const [x64, w64, b64] = [x, w, b].map((t) => t.to({ dtype: 'float64' }).contiguous().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    const y = F.conv2d(x64, w64, b64);
    y.backward(g.to({ dtype: 'float64' }));
    return [y, x64.grad!, w64.grad!, b64.grad!].map((t) => t.detach().keep());
  });
}

function run(x: Tensor, w: Tensor, b: Tensor, g: Tensor, asMatmul: boolean) {
  const was = setPointwiseConvAsMatmul(asMatmul);
  try {
    return scope(() => {
      const [xl, wl, bl] = [x, w, b].map((t) => t.detach().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      const y = F.conv2d(xl, wl, bl);
      y.backward(g);
      return { y: y.detach().keep(), strides: y.strides, dx: xl.grad!.keep(), dw: wl.grad!.keep(), db: bl.grad!.keep() };
    });
  } finally {
    setPointwiseConvAsMatmul(was);
  }
}

test('a bfloat16 channels-last 1x1 convolution as a matrix product: values, gradients and layout of the convolution', () => {
  const x = randn([2, 48, 5, 7]).to({ dtype: 'bfloat16', memoryFormat: 'channelsLast' }).keep();
  const w = randn([32, 48, 1, 1]).mul(0.1).to({ dtype: 'bfloat16' }).keep();
  const b = randn([32]).to({ dtype: 'bfloat16' }).keep();
  const g = randn([2, 32, 5, 7]).to({ dtype: 'bfloat16', memoryFormat: 'channelsLast' }).keep();
  scope(() => assert.ok(pointwiseConvAsMatmulOrNull(x, w.detach().requiresGrad_(true), b), 'the route applies to this convolution in training'));
  const [y, dx, dw, db] = reference(x, w, b, g);
  const viaMatmul = run(x, w, b, g, true);
  const viaConv = run(x, w, b, g, false);
  for (const [name, r] of [
    ['matmul', viaMatmul],
    ['oneDNN conv', viaConv],
  ] as const) {
    // bfloat16 keeps 8 significant bits: 1% of the largest magnitude bounds one rounding of the sums.
    assertClose(r.y, y!, { rtol: 1e-2, message: `${name} output` });
    assertClose(r.dx, dx!, { rtol: 1e-2, message: `${name} input gradient` });
    assertClose(r.dw, dw!, { rtol: 1e-2, message: `${name} weight gradient` });
    assertClose(r.db, db!, { rtol: 1e-2, message: `${name} bias gradient` });
    assert.equal(r.y.dtype, 'bfloat16');
  }
  assert.deepEqual(viaMatmul.strides, viaConv.strides, "the output keeps the convolution's channels-last strides");
  assert.ok(viaMatmul.y.isContiguous('channelsLast'));
});

test('under CPU bfloat16 autocast, float32 weights get float32 gradients through the matrix product', () => {
  const x = randn([2, 16, 4, 4]).contiguous('channelsLast').requiresGrad_(true).keep();
  const w = randn([8, 16, 1, 1]).mul(0.2).requiresGrad_(true).keep();
  autocast({ deviceType: 'cpu' }, () => {
    assert.ok(pointwiseConvAsMatmulOrNull(x, w, null), 'float32 input under bfloat16 autocast takes the route');
  });
  const y = autocast({ deviceType: 'cpu' }, () => F.conv2d(x, w));
  assert.equal(y.dtype, 'bfloat16');
  y.float().sum().backward();
  assert.equal(w.grad!.dtype, 'float32');
  assert.equal(x.grad!.dtype, 'float32');
  // d(sum)/dw[o, c] = sum over n, h, w of x[n, c]: the same for every output channel.
  const expected = x.detach().sum([0, 2, 3]).reshape([1, 16, 1, 1]).expand([8, 16, 1, 1]);
  assertClose(w.grad!, expected, { rtol: 1e-2 });
});

test('the route is left alone where it does not apply (float32, NCHW, stride, groups, padding, wrong channels)', () => {
  const cl = (t: Tensor) => t.contiguous('channelsLast');
  const bf = (t: Tensor) => t.to({ dtype: 'bfloat16' });
  const w = bf(randn([8, 16, 1, 1])).requiresGrad_(true); // trained: only the geometry below keeps it off the route
  assert.equal(pointwiseConvAsMatmulOrNull(cl(randn([2, 16, 4, 4])), randn([8, 16, 1, 1]), null), null, 'float32 without autocast');
  assert.equal(pointwiseConvAsMatmulOrNull(bf(randn([2, 16, 4, 4])), w, null), null, 'NCHW input');
  assert.equal(pointwiseConvAsMatmulOrNull(cl(bf(randn([2, 16, 4, 4]))), randn([8, 16, 1, 1]), null), null, 'bfloat16 input, float32 weight, no autocast');
  assert.equal(pointwiseConvAsMatmulOrNull(cl(bf(randn([2, 12, 4, 4]))), w, null), null, 'channel mismatch');
  const was = setPointwiseConvAsMatmul(false);
  assert.equal(pointwiseConvAsMatmulOrNull(cl(bf(randn([2, 16, 4, 4]))), w, null), null, 'switched off');
  setPointwiseConvAsMatmul(was);
  // Through conv2d, the geometry the route cannot express gives exactly the convolution's result.
  const x = cl(bf(randn([2, 16, 6, 6])));
  for (const options of [{ stride: 2 }, { padding: 1 }] as const) {
    const on = F.conv2d(x, w, null, options);
    setPointwiseConvAsMatmul(false);
    const off = F.conv2d(x, w, null, options);
    setPointwiseConvAsMatmul(true);
    assert.equal(on.sub(off).abs().max().item(), 0, JSON.stringify(options));
  }
  // A shape error still comes from the convolution, with its wording.
  assert.throws(() => F.conv2d(cl(bf(randn([2, 12, 4, 4]))), w), /channels|expected/i);
});

test('inference keeps oneDNN convolution: no route without a weight gradient being recorded (noGrad, frozen weight)', () => {
  const x = randn([2, 16, 4, 4]).to({ dtype: 'bfloat16', memoryFormat: 'channelsLast' }).keep();
  const trained = randn([8, 16, 1, 1]).to({ dtype: 'bfloat16' }).requiresGrad_(true).keep();
  const frozen = trained.detach().keep();
  scope(() => assert.ok(pointwiseConvAsMatmulOrNull(x, trained, null), 'training a 1x1 layer takes the route'));
  assert.equal(pointwiseConvAsMatmulOrNull(x, frozen, null), null, 'a frozen weight');
  assert.equal(
    noGrad(() => pointwiseConvAsMatmulOrNull(x, trained, null)),
    null,
    'under noGrad',
  );
});
