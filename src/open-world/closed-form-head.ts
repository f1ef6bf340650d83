/**
 * A closed-form head over a model's embeddings: what a calibrated model answers with when
 * validation prefers it to the trained classifier (choose-head.ts), and what scores every class
 * once a class has been enrolled from a few photos — no gradient step — so that old and new
 * classes share one softmax.
 *
 * A Gaussian discriminant (LDA) over the model's embeddings, with the class means and the
 * shared within-class covariance S that the calibration sidecar already holds, scores class k as
 *
 *     l_k(e) = (μ_k − m)ᵀ P (e − m) − ½ (μ_k − m)ᵀ P (μ_k − m),   P = (S + α v̄ I)⁻¹,
 *
 * with m the mean of the old class means and v̄ the mean within-class variance (a trained
 * class's μ_k − m scaled by β, below). It needs only a
 * class's mean, which a few photos give, and it is linear in `e`: one row per class. An enrolled
 * class's mean comes from its photos; a trained class's from its training photos (the
 * calibration's class means). bench/enroll measured the alternatives on cars33 (docs/enrollment.md):
 * keeping the trained head for the old classes and adding LDA, imprinted or prototype rows for
 * the new ones either starved the new classes (the trained head is confidently wrong on
 * photos of a class it never saw, most of all on look-alikes) or let them take old photos;
 * LDA for every class did neither, and on fine-tuned embeddings it scored the trained classes
 * better than the trained head itself.
 *
 * Three choices, each measured:
 * - `shrinkage` α: with ~30 photos a class and 1,280 features S is singular; the calibration's
 *   tiny ridge (1e-3) would let directions no class varies in dominate.
 * - `meanScale` β: a trained class's mean is taken over the photos the network was trained on,
 *   which sit farther from m than photos it has not seen; a new photo of class k lands, on
 *   average, near m + β (μ_k − m) with β < 1 (the calibration measures β on validation photos:
 *   0.63 on the 26-series cars33 model). A trained class is placed there. An enrolled class's
 *   photos were never trained on, so its mean needs no such scaling. Without it, enrolled
 *   classes sat closer to new photos than the trained classes did and took their photos.
 * - the few-shot correction: the squared P-norm of a mean of n photos overshoots its class's by
 *   tr(P S)/n on average, which gives a few-shot class too low a bias; it is subtracted.
 *
 * `scale` a puts the LDA logits in the trained head's units (fitted on the old classes at their
 * means, rows centred: a softmax ignores a shift per photo), so that the calibration's
 * temperature still applies roughly; `fit` says how well (R²).
 *
 * @example
 *   const ref = fitClosedFormReference(calibration.stats);
 *   const head = closedFormHead(ref, classMeans, photoCounts); // { weight [K, D], bias [K] }
 *   ref.dispose();
 */
import { aten } from '../native/aten.js';
import { eye, fromTypedArray } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import { wrap, type Tensor } from '../tensor/tensor.js';

/** α of the covariance shrinkage, measured in bench/enroll (docs/enrollment.md). */
export const DEFAULT_SHRINKAGE = 0.3;

/** What the reference is fitted from: the calibration's class statistics and the trained head. */
export interface ClosedFormStats {
  /** [C, D] the old classes' mean training embeddings. */
  classMeans: Tensor;
  /** [D, D] the inverse of the shared within-class covariance plus the calibration's small ridge. */
  precision: Tensor;
  /** [C, D] the trained head's weight. */
  headWeight: Tensor;
  /** [C] the trained head's bias. */
  headBias: Tensor;
}

/** Options of `fitClosedFormReference`. */
export interface ReferenceOptions {
  /** α: covariance shrinkage as a multiple of the mean within-class variance (default DEFAULT_SHRINKAGE; Infinity: Euclidean distance). */
  shrinkage?: number;
  /** The ridge the calibration added to S, as a fraction of the mean variance (default 1e-3, mahalanobis.ts's). */
  calibrationRidge?: number;
  /** β in (0, 1]: where a trained class's unseen photos lie, m + β (μ_k − m) (default 1; `estimateMeanScale` measures it). */
  meanScale?: number;
}

/** The fitted link between LDA scores and the trained head (see the module comment). Owns its tensors. */
export interface ClosedFormReference extends Disposable {
  /** [D] m: the mean of the old class means. */
  center: Tensor;
  /** [D, D] P = (S + α·v̄·I)⁻¹, or the identity scaled by 1/v̄ when α is Infinity. */
  metric: Tensor;
  /** b̄, the average trained bias (added to every closed-form logit, so they sit near the trained ones). */
  meanBias: number;
  /** a > 0: trained logit per LDA logit, fitted on the old classes (the ratio of their spreads when the fit's slope is not positive). */
  scale: number;
  /** tr(P S): how much the squared P-norm of a one-photo mean overshoots its class's. */
  noisePerPhoto: number;
  /** How well the trained logits follow a·l (R² of the fit, in [0, 1]); low means the head is not LDA-like. */
  fit: number;
  /** α as used. */
  shrinkage: number;
  /** β as used: trained class means enter as m + β (μ_k − m). */
  meanScale: number;
  /** D. */
  embeddingSize: number;
  /** Frees the tensors. */
  dispose(): void;
}

/**
 * Fits the reference from a calibration's statistics (see the module comment). O(D³) once
 * per model (an inverse of D × D); about a second for D = 1,280.
 */
export function fitClosedFormReference(stats: ClosedFormStats, options: ReferenceOptions = {}): ClosedFormReference {
  const alpha = options.shrinkage ?? DEFAULT_SHRINKAGE;
  const ridge = options.calibrationRidge ?? 1e-3;
  const beta = options.meanScale ?? 1;
  if (!(alpha > 0)) throw new RangeError(`closed-form head: shrinkage must be positive (or Infinity), got ${alpha}`);
  if (!(beta > 0 && beta <= 1)) throw new RangeError(`closed-form head: meanScale must be in (0, 1], got ${beta}`);
  const [c, d] = stats.classMeans.shape as [number, number];
  if (c < 2) throw new RangeError('closed-form head: the model needs at least two trained classes');
  if (stats.headWeight.shape.join() !== [c, d].join() || stats.headBias.shape.join() !== String(c) || stats.precision.shape.join() !== [d, d].join())
    throw new RangeError(
      `closed-form head: statistics disagree: class means [${stats.classMeans.shape}], head [${stats.headWeight.shape}] + [${stats.headBias.shape}], precision [${stats.precision.shape}]`,
    );
  return scope(() => {
    const means = stats.classMeans.double();
    const inverse = (x: Tensor) => wrap(aten('linalg_inv').call(x.handle));
    const identity = eye(d, { dtype: 'float64' });
    const trace = (x: Tensor) => x.mul(identity).sum().item();
    // S + λI from the stored precision; λ = ridge · v̄ with v̄ = tr(S)/D, so tr(S + λI) = D v̄ (1 + ridge).
    const covRidged = inverse(stats.precision.double());
    const meanVar = trace(covRidged) / (d * (1 + ridge));
    const within = covRidged.sub(identity.mul(ridge * meanVar));
    const metric = Number.isFinite(alpha) ? inverse(within.add(identity.mul(alpha * meanVar))) : identity.div(meanVar);
    const center = means.mean(0);
    const centred = means.sub(center.unsqueeze(0)); // [C, D]
    const dirs = centred.mm(metric).mul(beta); // [C, D]: P β (μ_k − m)
    const half = dirs
      .mul(centred)
      .sum(1)
      .mul(0.5 * beta); // [C]
    // LDA logits and trained logits at every class mean: rows = where, columns = which class.
    const lda = centred.mm(dirs.t()).sub(half.unsqueeze(0));
    const trained = means.mm(stats.headWeight.double().t()).add(stats.headBias.double().unsqueeze(0));
    // Each row's own shift does not change a softmax: compare within rows.
    const l = lda.sub(lda.mean(1, { keepdim: true }));
    const z = trained.sub(trained.mean(1, { keepdim: true }));
    const slope = l.mul(z).sum().item() / l.square().sum().item();
    // A trained head that does not follow LDA at all can give a slope ≤ 0, which would turn the
    // closed-form head's ranking upside down: then only the units are matched (ratio of spreads).
    const scale = slope > 0 ? slope : Math.sqrt(z.square().sum().item() / l.square().sum().item()) || 1;
    const resid = z.sub(l.mul(scale)).square().sum().item();
    const fit = Math.max(0, 1 - resid / z.square().sum().item());
    const noisePerPhoto = trace(metric.mm(within));
    const keep = (t: Tensor) => t.float().contiguous().keep();
    const ref: ClosedFormReference = {
      center: keep(center),
      metric: keep(metric),
      meanBias: stats.headBias.double().mean().item(),
      scale,
      noisePerPhoto,
      fit,
      shrinkage: alpha,
      meanScale: beta,
      embeddingSize: d,
      dispose() {
        for (const t of [this.center, this.metric]) t.dispose();
      },
      [Symbol.dispose]() {
        this.dispose();
      },
    };
    return ref;
  });
}

/** A head: weight [K, D] and bias [K] (new tensors the caller disposes). */
export interface ClosedFormHead {
  /** [K, D] one row per class. */
  weight: Tensor;
  /** [K] */
  bias: Tensor;
}

/**
 * The closed-form head over classes with mean embeddings `means` [K, D] (raw, not normalised),
 * each from `photos[k]` photos (Infinity: a trained class, whose mean is taken as exact and
 * scaled by the reference's `meanScale`). Their
 * flips do not count: a mirror image is not an independent sample. `fewShotCorrection`
 * removes that multiple of the expected overshoot of a small sample's norm as the training
 * photos' scatter predicts it (default 1; true/false for 1/0; unseen photos scatter more, so
 * values above 1 are meaningful).
 */
export function closedFormHead(
  ref: ClosedFormReference,
  means: Tensor,
  photos: readonly number[],
  options: { fewShotCorrection?: boolean | number } = {},
): ClosedFormHead {
  const [k, d] = means.shape as [number, number];
  if (d !== ref.embeddingSize) throw new RangeError(`closed-form head: ${d}-d means for a ${ref.embeddingSize}-d reference`);
  if (photos.length !== k || photos.some((n) => !(n >= 1)))
    throw new RangeError(`closed-form head: ${k} classes need ${k} photo counts of at least 1, got [${photos}]`);
  const c = options.fewShotCorrection ?? 1;
  const share = c === true ? 1 : c === false ? 0 : c;
  if (!(share >= 0 && Number.isFinite(share))) throw new RangeError(`fewShotCorrection must be a finite number ≥ 0, got ${c}`);
  return scope(() => {
    // μ − m, a trained class's scaled by β (the module comment).
    const beta = fromTypedArray(
      Float32Array.from(photos, (n) => (Number.isFinite(n) ? 1 : ref.meanScale)),
      [k, 1],
    );
    const u = means.float().sub(ref.center.unsqueeze(0)).mul(beta);
    const dirs = u.mm(ref.metric); // P (μ − m)
    const half = dirs.mul(u).sum(1).mul(0.5);
    const overshoot = fromTypedArray(
      Float32Array.from(photos, (n) => (Number.isFinite(n) ? (share * 0.5 * ref.noisePerPhoto) / n : 0)),
      [k],
    );
    const a = ref.scale;
    // a·l_k(e) + b̄ = (a P(μ−m))·e − a[(P(μ−m))·m + ½(μ−m)ᵀP(μ−m) − overshoot] + b̄
    const weight = dirs.mul(a);
    const bias = dirs.mm(ref.center.unsqueeze(1)).reshape([k]).add(half).sub(overshoot).mul(-a).add(ref.meanBias);
    return { weight: weight.contiguous(), bias: bias.contiguous() };
  });
}

/**
 * β of the module comment, measured on labelled photos the network was not trained on: the
 * least-squares slope of their offsets from m onto their class's offset, in the head's metric,
 * β = Σ ⟨e − m, μ_y − m⟩_P / Σ ‖μ_y − m‖²_P, clamped to [0.1, 1]. `reference` gives m and P.
 */
export function estimateMeanScale(ref: ClosedFormReference, classMeans: Tensor, embeddings: Tensor, labels: ArrayLike<number>): number {
  if (!labels.length) return 1;
  const slope = scope(() => {
    const idx = fromTypedArray(BigInt64Array.from(Array.from(labels, BigInt)), [labels.length]);
    const mu = classMeans.float().indexSelect(0, idx).sub(ref.center.unsqueeze(0));
    const pmu = mu.mm(ref.metric);
    return (
      pmu
        .mul(embeddings.float().sub(ref.center.unsqueeze(0)))
        .sum()
        .item() / pmu.mul(mu).sum().item()
    );
  });
  return Number.isFinite(slope) ? Math.min(1, Math.max(0.1, slope)) : 1;
}
