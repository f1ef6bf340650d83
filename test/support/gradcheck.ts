/**
 * Gradient checks against central finite differences, in float64: the analytical gradient
 * of sum(f(x) * seed) (autograd's `grad`) must match (f(x + eps) - f(x - eps)) / 2eps,
 * element by element, for every input.
 *
 * @example
 *   gradcheck((x, w) => F.conv2d(x, w), [randn([1, 2, 5, 5], { dtype: 'float64' }), w]);
 */
import assert from 'node:assert/strict';
import { grad, noGrad, randn, scope, type Tensor } from '../../src/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): void {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-4 } = options;
  scope(() => {
    for (const x of inputs) assert.equal(x.dtype, 'float64', 'gradcheck needs float64 inputs');
    const xs = inputs.map((x) => x.detach().clone().requiresGrad_());
    const y = fn(...xs);
    const seed = randn(y.shape, { dtype: 'float64' });
    const analytic = grad([y.mul(seed).sum()], xs, { allowUnused: true });
    const objective = () =>
      noGrad(() =>
        scope(() =>
          fn(...xs)
            .mul(seed)
            .sum()
            .item(),
        ),
      );
    xs.forEach((x, i) => {
      // Perturb the tensor's memory directly: a shared view of a contiguous CPU tensor.
      const data = x.toTypedArrayView() as Float64Array;
      const a = analytic[i] ? (analytic[i]!.contiguous().toTypedArray() as Float64Array) : new Float64Array(data.length);
      for (let j = 0; j < data.length; j++) {
        const orig = data[j]!;
        data[j] = orig + eps;
        const fp = objective();
        data[j] = orig - eps;
        const fm = objective();
        data[j] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const err = Math.abs(a[j]! - numeric);
        assert.ok(err <= atol + rtol * Math.abs(numeric), `gradient of input ${i} at flat index ${j}: analytical ${a[j]} vs numerical ${numeric}`);
      }
    });
  });
}
