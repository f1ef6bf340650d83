/**
 * Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) on a whole batch, with soft
 * targets. Each image is mixed with its mirror in the batch (image i with N-1-i, as timm
 * does by flipping the batch), with one ratio lambda ~ Beta(alpha, alpha) per batch;
 * CutMix pastes a box of area share 1 - lambda and corrects lambda to the clipped box.
 * The draws come from the batch's Rng (seed, epoch, batch index).
 *
 * @example
 *   const mixer = mixupCutmix({ mixupAlpha: 0.8, cutmixAlpha: 1.0 });
 *   const { images, targets } = mixer.apply(x, labels, numClasses, rng); // targets [N, K]
 */
import { fromTypedArray, scope, type Tensor } from '../../tensor/index.js';
import type { Rng } from '../random.js';

/** What a `BatchMixer` returns for a batch: the mixed images and their soft targets. */
export interface MixResult {
  /** The mixed batch, a new tensor of the input's shape (the input is left alone). */
  images: Tensor;
  /** Soft targets [N, numClasses], rows summing to 1. */
  targets: Tensor;
  /** The mixing ratio used (1 when the batch was left alone). */
  lambda: number;
  /** What was done to this batch: Mixup, CutMix, or nothing (when `prob` skipped it or the batch has one image). */
  mode: 'mixup' | 'cutmix' | 'none';
}

/**
 * A batch-level augmentation that mixes images and their labels (Mixup, CutMix): the trainer
 * applies it to each training batch after the loader.
 */
export interface BatchMixer {
  /** A description with the parameters, for logs, e.g. `mixupCutmix(mixup 0.8, cutmix 1)`. */
  readonly name: string;
  /**
   * Mixes a batch [N, C, H, W] with integer `labels`; the draws come from `rng`, so a seeded run
   * mixes the same way again.
   */
  apply(images: Tensor, labels: readonly number[], numClasses: number, rng: Rng): MixResult;
}

/** Options of `mixupCutmix` (timm's Mixup with both modes): which of the two, how strongly, and how often. */
export interface MixOptions {
  /** Beta parameter of Mixup; 0 disables it (default 0.8). */
  mixupAlpha?: number;
  /** Beta parameter of CutMix; 0 disables it (default 1.0). */
  cutmixAlpha?: number;
  /** Probability of mixing a batch at all (default 1). */
  prob?: number;
  /** With both enabled, probability of CutMix rather than Mixup (default 0.5). */
  switchProb?: number;
  /** Label smoothing folded into the targets (default 0). */
  labelSmoothing?: number;
}

/**
 * One-hot targets with smoothing: 1 - s + s/K on the label, s/K elsewhere.
 *
 * @example
 *   softTargets([2], 4, 0.1); // [0.025, 0.025, 0.925, 0.025]
 */
export function softTargets(labels: readonly number[], numClasses: number, smoothing = 0): Float32Array {
  const t = new Float32Array(labels.length * numClasses).fill(smoothing / numClasses);
  labels.forEach((l, i) => {
    if (!(l >= 0 && l < numClasses)) throw new RangeError(`softTargets: label ${l} outside 0..${numClasses - 1}`);
    t[i * numClasses + l] = 1 - smoothing + smoothing / numClasses;
  });
  return t;
}

/**
 * The CutMix box for ratio lambda on an h x w image: [top, left, bh, bw] clipped to the image.
 *
 * @example
 *   const [top, left, h, w] = cutmixBox(224, 224, 0.7, rng);
 */
export function cutmixBox(h: number, w: number, lambda: number, rng: Rng): [number, number, number, number] {
  const cut = Math.sqrt(1 - lambda);
  const ch = Math.trunc(h * cut);
  const cw = Math.trunc(w * cut);
  const cy = rng.int(h);
  const cx = rng.int(w);
  const y0 = Math.max(0, Math.min(h, cy - Math.trunc(ch / 2)));
  const y1 = Math.max(0, Math.min(h, cy + Math.trunc(ch / 2)));
  const x0 = Math.max(0, Math.min(w, cx - Math.trunc(cw / 2)));
  const x1 = Math.max(0, Math.min(w, cx + Math.trunc(cw / 2)));
  return [y0, x0, y1 - y0, x1 - x0];
}

/**
 * Mixup or CutMix per batch (switching at random when both are on), with soft targets.
 *
 * @example
 *   new DataLoader(ds, { batchSize: 32, transform, mix: mixupCutmix({ mixupAlpha: 0.8, cutmixAlpha: 1 }) });
 */
export function mixupCutmix(options: MixOptions = {}): BatchMixer {
  const mixupAlpha = options.mixupAlpha ?? 0.8;
  const cutmixAlpha = options.cutmixAlpha ?? 1.0;
  const prob = options.prob ?? 1;
  const switchProb = options.switchProb ?? 0.5;
  const smoothing = options.labelSmoothing ?? 0;
  if (!(mixupAlpha > 0) && !(cutmixAlpha > 0)) throw new RangeError('mixupCutmix: enable Mixup or CutMix (an alpha > 0)');
  return {
    name: `mixupCutmix(mixup ${mixupAlpha}, cutmix ${cutmixAlpha})`,
    apply(images, labels, numClasses, rng) {
      const n = images.size(0);
      if (labels.length !== n) throw new RangeError(`mixupCutmix: ${n} images but ${labels.length} labels`);
      const own = softTargets(labels, numClasses, smoothing);
      const useMix = rng.next() < prob;
      const cutmix = useMix && (mixupAlpha > 0 && cutmixAlpha > 0 ? rng.next() < switchProb : cutmixAlpha > 0);
      if (!useMix || n < 2) return { images: images.clone(), targets: fromTypedArray(own, [n, numClasses]), lambda: 1, mode: 'none' };
      let lambda = cutmix ? rng.beta(cutmixAlpha, cutmixAlpha) : rng.beta(mixupAlpha, mixupAlpha);
      const out = scope(() => {
        const flipped = images.flip([0]);
        if (!cutmix) return images.mul(lambda).add(flipped.mul(1 - lambda));
        const [, , h, w] = images.shape as [number, number, number, number];
        const [top, left, bh, bw] = cutmixBox(h, w, lambda, rng);
        lambda = 1 - (bh * bw) / (h * w);
        const mixed = images.clone('contiguous');
        if (bh > 0 && bw > 0)
          mixed
            .narrow(2, top, bh)
            .narrow(3, left, bw)
            .copy_(flipped.narrow(2, top, bh).narrow(3, left, bw));
        return mixed;
      });
      const targets = new Float32Array(n * numClasses);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < numClasses; k++)
          targets[i * numClasses + k] = lambda * own[i * numClasses + k]! + (1 - lambda) * own[(n - 1 - i) * numClasses + k]!;
      }
      return { images: out, targets: fromTypedArray(targets, [n, numClasses]), lambda, mode: cutmix ? 'cutmix' : 'mixup' };
    },
  };
}

/**
 * Mixup only.
 *
 * @example
 *   const { images, targets } = mixup(0.2).apply(x, labels, numClasses, rng);
 */
export function mixup(alpha = 0.8, options: Omit<MixOptions, 'mixupAlpha' | 'cutmixAlpha'> = {}): BatchMixer {
  return mixupCutmix({ ...options, mixupAlpha: alpha, cutmixAlpha: 0 });
}

/**
 * CutMix only.
 *
 * @example
 *   const { images, targets } = cutmix(1).apply(x, labels, numClasses, rng);
 */
export function cutmix(alpha = 1.0, options: Omit<MixOptions, 'mixupAlpha' | 'cutmixAlpha'> = {}): BatchMixer {
  return mixupCutmix({ ...options, mixupAlpha: 0, cutmixAlpha: alpha });
}
