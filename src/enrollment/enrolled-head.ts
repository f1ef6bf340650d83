/**
 * The head a model answers with once classes are enrolled: the closed-form head
 * (reference.ts) over the trained classes — their means from the calibration — and the
 * enrolled ones — their means from their photos —, in output order. It replaces the trained
 * head for every class (bench/enroll: the trained head starved the new classes; this head
 * kept the old ones' accuracy).
 *
 * @example
 *   const head = enrolledHead(reference, calibration.stats.classMeans, enrolled);
 *   const logits = head.logits(embeddings); // [N, C + n]
 *   head.dispose();
 */
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EnrolledClasses } from './enrolled-classes.js';
import { defaultCorrection } from './limits.js';
import { closedFormHead, type ClosedFormReference } from '../open-world/closed-form-head.js';

/** A closed-form head over trained and enrolled classes; owns its tensors. */
export interface EnrolledHead extends Disposable {
  /** [C + n, D] */
  weight: Tensor;
  /** [C + n] */
  bias: Tensor;
  /** Logits [N, C + n] of embeddings [N, D] (a new tensor the caller disposes). */
  logits(embeddings: Tensor): Tensor;
  /** Frees the weight and bias. */
  dispose(): void;
}

/** The head over `trainedMeans` [C, D] (exact) and the classes of `set` (from their photos). */
export function enrolledHead(reference: ClosedFormReference, trainedMeans: Tensor, set: EnrolledClasses): EnrolledHead {
  const c = trainedMeans.size(0);
  const { weight, bias } = scope(() => {
    const enrolledMeans = set.classMeans();
    const means = cat([trainedMeans.float(), enrolledMeans], 0);
    // A share s of the few-shot correction is the full correction for n / s photos.
    const share = (x: { correction?: number }) => x.correction ?? defaultCorrection(reference.meanScale);
    const photos = [...Array.from({ length: c }, () => Infinity), ...set.classes.map((x) => (share(x) > 0 ? x.photos / share(x) : Infinity))];
    const h = closedFormHead(reference, means, photos);
    return { weight: h.weight.keep(), bias: h.bias.keep() };
  });
  return {
    weight,
    bias,
    logits: (embeddings) => scope(() => embeddings.float().mm(weight.t()).add(bias)),
    dispose() {
      weight.dispose();
      bias.dispose();
    },
    [Symbol.dispose]() {
      this.dispose();
    },
  };
}
