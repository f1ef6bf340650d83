/**
 * Mahalanobis score (Lee et al. 2018, without input pre-processing): class means of the
 * training embeddings and one shared covariance; the score is minus the smallest squared
 * Mahalanobis distance to a class mean. `fitClassGaussians` shrinks the covariance towards
 * a multiple of the identity (1e-3 of its mean variance), because with ~30 images a class
 * and 1280 features the sample covariance is close to singular.
 *
 * @example
 *   const { classMeans, precision } = fitClassGaussians(trainEmb, trainLabels, 100);
 *   mahalanobisScore(testEmb, classMeans, precision);
 */
import { aten } from '../../native/aten.js';
import { eye, fromTypedArray } from '../../tensor/creation.js';
import { scope } from '../../tensor/scope.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

export const COVARIANCE_SHRINKAGE = 1e-3;

export interface ClassGaussians {
  /** [C, D] */
  classMeans: Tensor;
  /** [D, D] inverse of the shared (shrunk) covariance. */
  precision: Tensor;
}

export function fitClassGaussians(embeddings: Tensor, labels: ArrayLike<number>, numClasses: number): ClassGaussians {
  return scope(() => {
    const x = embeddings.float();
    const [n, d] = x.shape as [number, number];
    if (labels.length !== n) throw new RangeError(`fitClassGaussians: ${labels.length} labels for ${n} embeddings`);
    // One-hot [N, C] so means and centring are matrix products.
    const onehot = new Float32Array(n * numClasses);
    const counts = new Float32Array(numClasses);
    for (let i = 0; i < n; i++) {
      const y = labels[i]!;
      if (!(y >= 0 && y < numClasses)) throw new RangeError(`fitClassGaussians: label ${y} outside [0, ${numClasses})`);
      onehot[i * numClasses + y] = 1;
      counts[y]! += 1;
    }
    const oh = fromTypedArray(onehot, [n, numClasses]);
    const safe = fromTypedArray(
      counts.map((c) => Math.max(c, 1)),
      [numClasses, 1],
    );
    const means = oh.t().mm(x).div(safe);
    const centred = x.sub(oh.mm(means));
    const cov = centred.t().mm(centred).div(n);
    // mean variance = trace(cov) / D
    const ridge = (centred.square().sum().item() / n / d || 1) * COVARIANCE_SHRINKAGE;
    const precision = wrap(aten('linalg_inv').call(cov.add(eye(d).mul(ridge)).double().handle)).float();
    return { classMeans: means.keep(), precision: precision.keep() };
  });
}

const CHUNK = 512;

export function mahalanobisScore(embeddings: Tensor, classMeans: Tensor, precision: Tensor): Float64Array {
  const n = embeddings.shape[0]!;
  const out = new Float64Array(n);
  const muTerm = scope(() => classMeans.mm(precision).mul(classMeans).sum(1).keep()); // [C]: μ P μ
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      const best = scope(() => {
        const z = embeddings.narrow(0, start, len).float();
        const zp = z.mm(precision);
        const zz = zp.mul(z).sum(1, { keepdim: true }); // [n, 1]
        const d2 = zz.sub(zp.mm(classMeans.t()).mul(2)).add(muTerm.unsqueeze(0)); // [n, C]
        return d2.min(1).values.toTypedArray() as Float32Array;
      });
      for (let i = 0; i < len; i++) out[start + i] = -best[i]!;
    }
  } finally {
    muTerm.dispose();
  }
  return out;
}
