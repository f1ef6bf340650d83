/**
 * Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), applied in place
 * to the `.grad` of each parameter between `backward()` and `step()`.
 *
 * @example
 *   loss.backward();
 *   const norm = clipGradNorm_(params, 1.0);   // a 0-dim tensor: norm.item() to log it
 *   opt.step();
 */
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../tensor/creation.js';
import { stack } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { foreach } from './foreach.js';

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it (default false, as in PyTorch 1.13). */
  errorIfNonfinite?: boolean;
}

function gradsOf(params: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(params) ? params : [params as Tensor];
  const out: Tensor[] = [];
  for (const p of list) {
    const g = p.grad;
    if (g) out.push(g);
  }
  return out;
}

/**
 * Scales all gradients together so that their joint `normType`-norm (as if concatenated
 * into one vector; `Infinity` for the max-norm) is at most `maxNorm`. Returns the norm
 * before clipping as a 0-dim float tensor (no device sync, as in PyTorch), 0 when no
 * parameter has a gradient.
 * @example const total = clipGradNorm_(model.parameters(), 5).item();
 */
export function clipGradNorm_(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor {
  return noGrad(() =>
    scope(() => {
      const grads = gradsOf(params);
      if (grads.length === 0) return zeros([]);
      let total: Tensor;
      if (normType === Infinity) {
        const norms = grads.map((g) => g.abs().max());
        total = norms.length === 1 ? norms[0]! : stack(norms).max();
      } else {
        total = stack(foreach.norm(grads, normType)).norm(normType);
      }
      if (options.errorIfNonfinite && !Number.isFinite(total.item())) {
        throw new RangeError(
          `clipGradNorm_: the total norm of order ${normType} of the gradients is non-finite, so it cannot be clipped; ` +
            'pass errorIfNonfinite: false to scale the gradients by it anyway',
        );
      }
      // min(1, maxNorm / (total + 1e-6)), kept on the device: no `if` that would sync with a GPU.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      for (const g of grads) g.mul_(coef.device === g.device ? coef : coef.to({ device: g.device }));
      return total;
    }),
  );
}

/**
 * Clamps every gradient element to [-value, value].
 * @example clipGradValue_(params, 0.5);
 */
export function clipGradValue_(params: Tensor | readonly Tensor[], value: number): void {
  noGrad(() =>
    scope(() => {
      for (const g of gradsOf(params)) g.clamp_(-value, value);
    }),
  );
}
