/**
 * The parts of an answer that do not depend on the runtime, shared by the libtorch
 * `Classifier` and the `OnnxClassifier` so the two cannot drift apart: decoding a photo with
 * its quality judged, one image's row of probabilities as top classes, verdicts and the
 * claimed class's rank, and the verification decision from that. Loads no native addon.
 *
 * @example
 *   const image = await decodeServed(bytes, preprocess, qualityThresholds, {});
 *   const { result } = rowAnswer(probs, { image, topK: 3 }, verdict, classes, qualityThresholds);
 *   const { decision } = verificationAnswer(result, verificationThresholds);
 */
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { UnknownVerdict } from '../open-world/calibration.js';
import { assessQuality, QUALITY_SIDE, type QualityThresholds } from '../open-world/quality.js';
import type { BatchItem, BatchResult, DecodedImage, Verification } from './classifier.js';
import { decodeForQuality, decodeInput, decodeOptionsFor, type ClassifierInput } from './input.js';
import { rankOf, topClasses } from '../evaluation/top-classes.js';
import { decideVerification, type VerificationThresholds } from './verification.js';

/**
 * Decodes an input as `preprocess` wants it (off the JS thread) and judges its quality. The
 * model's copy serves the quality checks when it is at least QUALITY_SIDE px; a smaller one
 * (tiny models) gets a second decode of the photo in parallel.
 */
export async function decodeServed(
  input: ClassifierInput,
  preprocess: PreprocessConfig,
  thresholds: QualityThresholds,
  options: { maxPixels?: number; label?: string },
): Promise<DecodedImage> {
  const side = decodeOptionsFor(preprocess).maxShortSide!;
  const [image, photo] = await Promise.all([
    decodeInput(input, preprocess, options),
    side >= QUALITY_SIDE ? Promise.resolve(null) : decodeForQuality(input, options),
  ]);
  return { ...image, quality: assessQuality(photo ?? { ...image, channels: 3 }, thresholds) };
}

/** One image's answer from its row of class probabilities; `best` is the top class's index. */
export function rowAnswer(
  probs: ArrayLike<number>,
  item: BatchItem,
  unknown: UnknownVerdict,
  classes: readonly string[],
  thresholds: QualityThresholds,
): { result: BatchResult; best: number } {
  const topK = Math.max(1, Math.min(item.topK ?? 5, classes.length));
  const top = topClasses(probs, topK);
  const result: BatchResult = {
    predictions: top.map((c) => ({ label: classes[c]!, score: probs[c]! })),
    unknown,
    quality: 'quality' in item.image ? item.image.quality : assessQuality({ ...item.image, channels: 3 }, thresholds),
  };
  const c = item.claimedClass;
  if (c !== undefined) result.claimed = { label: classes[c]!, score: probs[c]!, rank: rankOf(probs, c) };
  return { result, best: top[0]! };
}

/** The verification answer from a batch result that carried a claimed class. */
export function verificationAnswer(r: BatchResult, thresholds: VerificationThresholds): Pick<Verification, 'decision' | 'reason' | 'claimed'> {
  const claimed = r.claimed!;
  const d = decideVerification(
    { claimed: claimed.label, rank: claimed.rank, score: claimed.score, top: r.predictions[0]!, unknown: r.unknown, quality: r.quality },
    thresholds,
  );
  return { ...d, claimed };
}
