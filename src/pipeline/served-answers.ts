/**
 * The parts of an answer that do not depend on the runtime, shared by the libtorch
 * `Classifier` and the `OnnxModel` so the two cannot drift apart: decoding a photo with
 * its quality judged, one image's row of probabilities as top classes, verdicts and the
 * claimed class's rank, and the verification decision from that. Loads no native addon.
 *
 * @example
 *   const image = await decodeServed(bytes, preprocess, qualityThresholds, {});
 *   const { result } = rowAnswer(probs, { image, topK: 3 }, verdict, classes, qualityThresholds);
 *   const { decision } = verificationAnswer(result, verificationThresholds);
 */
import { resizeSide, type PreprocessConfig } from '../models/preprocess-config.js';
import type { RgbImage } from '../data/image.js';
import type { UnknownVerdict } from '../open-world/calibration.js';
import { assessQuality, QUALITY_SIDE, type QualityThresholds } from '../open-world/quality.js';
import type { BatchItem, BatchResult, DecodedImage, VerificationAnswer } from './served-model.js';
import { decodeForQuality, decodeInput, decodeOptionsFor, type ClassifierInput } from './input.js';
import { rankOf, topClasses } from '../evaluation/top-classes.js';
import { decideVerification, type VerificationThresholds } from './verification.js';
import { assessQualityOffThread } from './quality-thread.js';
import { hierarchicalAnswer } from '../hierarchy/scores.js';
import type { StoredHierarchy } from '../hierarchy/sidecar.js';

/**
 * Decodes an input as `preprocess` wants it (off the JS thread) and judges its quality (on the
 * quality thread, quality-thread.ts). The model's copy — the part of it the model sees,
 * qualityView — serves the quality checks when it is at least QUALITY_SIDE px; a smaller one
 * (tiny models) gets a second decode of the whole photo in parallel.
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
  // The quality photo and a cropped view are this call's own pixels: they move to the quality
  // thread uncopied. The model's copy itself (a view that is the whole image) is copied.
  const view = photo ?? { ...qualityView(image, preprocess), channels: 3 as const };
  return { ...image, quality: await assessQualityOffThread(view, thresholds, { owned: view.data !== image.data }) };
}

/**
 * The part of a decoded copy the model sees — the centre square that preprocessing crops
 * (inputSize of resizeSide on the shorter side) —, where quality is judged: a flaw outside it
 * does not reach the model, and measuring 43 % fewer pixels keeps the measures' cost per
 * served photo near what it was before the noise, blur-effect and compression measures.
 */
export function qualityView(image: RgbImage, preprocess: PreprocessConfig): RgbImage {
  const short = Math.min(image.width, image.height);
  const side = Math.max(1, Math.min(short, Math.round((short * preprocess.inputSize) / resizeSide(preprocess))));
  if (side === image.width && side === image.height) return image;
  const x0 = (image.width - side) >> 1;
  const y0 = (image.height - side) >> 1;
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * 3, ((y0 + y) * image.width + x0 + side) * 3), y * side * 3);
  return { data, width: side, height: side };
}

/**
 * One image's answer from its row of class probabilities; `best` is the top class's index.
 * With a class hierarchy the answer carries its path and deepest confident level (levels
 * without fitted thresholds are never confident).
 */
export function rowAnswer(
  probs: ArrayLike<number>,
  item: BatchItem,
  unknown: UnknownVerdict,
  classes: readonly string[],
  thresholds: QualityThresholds,
  hierarchy: StoredHierarchy | null = null,
): { result: BatchResult; best: number } {
  const topK = Math.max(1, Math.min(item.topK ?? 5, classes.length));
  const top = topClasses(probs, topK);
  const result: BatchResult = {
    predictions: top.map((c) => ({ label: classes[c]!, score: probs[c]! })),
    unknown,
    quality: 'quality' in item.image ? item.image.quality : assessQuality({ ...item.image, channels: 3 }, thresholds),
  };
  if (hierarchy) result.hierarchy = hierarchicalAnswer(hierarchy.hierarchy, probs, hierarchy.thresholds ?? hierarchy.hierarchy.levels.map(() => Infinity));
  const c = item.claimedClass;
  if (c !== undefined) result.claimed = { label: classes[c]!, score: probs[c]!, rank: rankOf(probs, c) };
  return { result, best: top[0]! };
}

/** The verification answer from a batch result that carried a claimed class (or a claim at a hierarchy level). */
export function verificationAnswer(r: BatchResult, thresholds: VerificationThresholds): VerificationAnswer {
  const lc = r.claimedLevel;
  if (lc) {
    // Quality and the unknown verdict come first, as for a class; then the level's own rule.
    const first = decideVerification(
      { claimed: lc.node, rank: 1, score: 1, top: r.predictions[0]!, unknown: r.unknown, quality: r.quality },
      { ...thresholds, matchMinScore: 0, matchMaxRank: Infinity },
    );
    const claimed = { label: lc.node, score: lc.score, rank: lc.rank };
    if (first.decision === 'uncertain') return { ...first, claimed, level: lc.level };
    return { decision: lc.decision, reason: lc.reason, claimed, level: lc.level };
  }
  const claimed = r.claimed!;
  const d = decideVerification(
    { claimed: claimed.label, rank: claimed.rank, score: claimed.score, top: r.predictions[0]!, unknown: r.unknown, quality: r.quality },
    thresholds,
  );
  return { ...d, claimed };
}
