/**
 * Test-time augmentation: the model sees each batch several ways — as is, mirrored, and at
 * other scales — and the softmax probabilities (and embeddings) are averaged. Scales resize
 * the batch by a factor (the model's global pooling takes any size).
 *
 * @example
 *   const { probs, embeddings } = ttaForward(model, x, { flips: true, scales: [1, 1.15] });
 */
import { interpolate } from '../nn/functional/interpolate.js';
import { softmax } from '../nn/functional/activation.js';
import type { ImageClassifier } from '../models/classifier.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** Which test-time views to run: the batch as given by default, plus mirrors and rescaled copies. */
export interface TtaOptions {
  /** Also run the horizontally mirrored batch. */
  flips?: boolean;
  /** Resize factors (1 = as given). */
  scales?: number[];
}

/** The views TTA runs, e.g. 4 for flips with two scales. */
export function ttaViews(options: TtaOptions = {}): number {
  return (options.scales?.length ?? 1) * (options.flips ? 2 : 1);
}

/**
 * Averaged probabilities [N, K], embeddings [N, D] and logits [N, K] over the TTA views; `forward`
 * lets callers wrap the model call (autocast, dtype). No views: plain inference.
 */
export function ttaForward(
  model: ImageClassifier,
  x: Tensor,
  options: TtaOptions = {},
  forward: (f: () => Tensor) => Tensor = (f) => f(),
): {
  /** Softmax probabilities [N, K], averaged over the views. */
  probs: Tensor;
  /** Pooled embeddings [N, D], averaged over the views. */
  embeddings: Tensor;
  /** Logits [N, K], averaged over the views. */
  logits: Tensor;
} {
  return scope(() => {
    const scales = options.scales?.length ? options.scales : [1];
    let probs: Tensor | null = null;
    let emb: Tensor | null = null;
    for (const s of scales) {
      const [h, w] = [x.size(2), x.size(3)];
      const scaled = s === 1 ? x : interpolate(x, { size: [Math.round(h * s), Math.round(w * s)], mode: 'bilinear', alignCorners: false });
      for (const flip of options.flips ? [false, true] : [false]) {
        const input = flip ? scaled.flip([3]) : scaled;
        const e = forward(() => model.forwardEmbedding(input)).float();
        const p = softmax(forward(() => model.forwardHead(e)).float(), 1);
        probs = probs ? probs.add(p) : p;
        emb = emb ? emb.add(e) : e;
      }
    }
    const views = ttaViews(options) || 1;
    const embeddings = emb!.div(views);
    // The classifier is linear, so the logits of the mean embedding are the mean of the views' logits.
    const logits = forward(() => model.forwardHead(embeddings)).float();
    return { probs: probs!.div(views), embeddings, logits };
  });
}
