/**
 * The open-world verdict with enrolled classes in it: the calibration's statistics extended
 * by the enrolled photos — their embeddings join the knn bank, their means join the class
 * means (mahalanobis), the head is the one the model answers with (react, scale) — and the
 * logit scores (msp, energy) see its logits. The thresholds stay those fitted on the trained classes'
 * validation photos: an enrolled class has too few photos to refit them, and adding its photos
 * to the bank can only raise the scores of photos like them.
 *
 * The extended calibration owns only the tensors it adds; the base's stay the base's.
 *
 * @example
 *   const cal = extendCalibration(base, enrolled, head);
 *   cal.unknown(extendedLogits, embeddings);
 *   cal.dispose(); // frees the added tensors only
 */
import { softmax } from '../nn/functional/activation.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Calibration, FittedCalibration, UnknownVerdict } from '../open-world/calibration.js';
import { l2Normalize } from '../open-world/ood/knn.js';
import { oodScore } from '../open-world/ood/compute.js';
import type { OodStats } from '../open-world/ood/score.js';
import type { EnrolledClasses } from './enrolled-classes.js';
import type { EnrolledHead } from './enrolled-head.js';

/** `base` with the enrolled classes of `set` added (see the module comment). */
export function extendCalibration(base: FittedCalibration, set: EnrolledClasses, head: EnrolledHead): Calibration {
  if (!set.size) return base;
  const s = base.stats;
  const added = scope(() => {
    const out: Partial<OodStats> = {};
    if (s.bank) {
      const photos = set.photoEmbeddings();
      out.bank = cat([s.bank, l2Normalize(photos)], 0)
        .contiguous()
        .keep();
    }
    if (s.classMeans) out.classMeans = cat([s.classMeans, set.classMeans()], 0).contiguous().keep();
    if (s.headWeight) out.headWeight = head.weight.clone().keep();
    if (s.headBias) out.headBias = head.bias.clone().keep();
    return out;
  });
  const stats: OodStats = { ...s, ...added };
  const numClasses = base.info.numClasses + set.size;
  return {
    temperature: base.temperature,
    method: base.method,
    unknown(logits: Tensor, embeddings: Tensor): UnknownVerdict[] {
      if (logits.shape[1] !== numClasses) throw new RangeError(`unknown(): ${numClasses} classes expected (trained and enrolled), got [${logits.shape}]`);
      const threshold = base.threshold();
      return Array.from(oodScore(base.method, logits, embeddings, stats), (score) => ({
        isUnknown: !(score >= threshold),
        score,
        threshold,
        method: base.method,
        calibrated: true,
      }));
    },
    probabilities(logits: Tensor): Tensor {
      return scope(() => softmax(logits.float().div(base.temperature), 1));
    },
    toJSON(): object {
      return { ...base.toJSON(), enrolledClasses: set.size };
    },
    dispose(): void {
      for (const t of Object.values(added)) (t as Tensor).dispose();
    },
  };
}
