/**
 * Fitting a calibration: the statistics of the OOD scores from the TRAINING images' embeddings
 * (feature bank, class means, shared covariance, ReAct's clip value), then — on held-out
 * VALIDATION images only — the temperature and a threshold per score at the chosen
 * in-distribution pass rate.
 *
 * @example
 *   const cal = fitCalibration({ train: { embeddings, labels }, val: { logits, embeddings, labels }, head, numClasses: 100 });
 *   cal.save('runs/a/checkpoints/best.safetensors');
 */
import { argmaxRows } from '../evaluation/top-classes.js';
import { fromTypedArray } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { CALIBRATION_FORMAT, FittedCalibration, type CalibrationInfo } from './calibration.js';
import { ece } from './metrics/ece.js';
import { thresholdAtPassRate } from './metrics/threshold.js';
import { l2Normalize } from './ood/knn.js';
import { fitClassGaussians } from './ood/mahalanobis.js';
import { mspScore } from './ood/msp.js';
import { REACT_PERCENTILE, reactClipValue } from './ood/react.js';
import { SCALE_PERCENTILE } from './ood/scale.js';
import { OOD_SCORES, type OodScoreName } from './ood/score.js';
import { fitTemperature } from './temperature.js';

/** The default OOD score of a new calibration: the winner of bench/open-world (README "Open world"). */
export const DEFAULT_OOD_METHOD: OodScoreName = 'knn';
export const DEFAULT_PASS_RATE = 0.95;
export const DEFAULT_KNN_K = 10;

export interface FitCalibrationInput {
  /** Training images: embeddings [M, D] and labels (the bank and class statistics). */
  train: { embeddings: Tensor; labels: ArrayLike<number> };
  /** Validation images: logits [N, C], embeddings [N, D], labels. */
  val: { logits: Tensor; embeddings: Tensor; labels: ArrayLike<number> };
  /** The model's final linear layer (react, scale). */
  head: { weight: Tensor; bias: Tensor };
  numClasses: number;
  method?: OodScoreName;
  passRate?: number;
  k?: number;
  reactPercentile?: number;
  scalePercentile?: number;
  /** Recorded in the metadata. */
  fittedOn?: Record<string, unknown>;
}

export function fitCalibration(input: FitCalibrationInput): FittedCalibration {
  const method = input.method ?? DEFAULT_OOD_METHOD;
  const passRate = input.passRate ?? DEFAULT_PASS_RATE;
  const k = input.k ?? DEFAULT_KNN_K;
  const reactPercentile = input.reactPercentile ?? REACT_PERCENTILE;
  const scalePercentile = input.scalePercentile ?? SCALE_PERCENTILE;
  const { train, val, numClasses } = input;
  const m = train.embeddings.shape[0]!;
  const d = train.embeddings.shape[1]!;
  if (!(passRate > 0 && passRate < 1)) throw new RangeError(`pass rate must be in (0, 1), got ${passRate}`);
  if (!Number.isInteger(k) || k < 1 || k > m) throw new RangeError(`k must be an integer in [1, ${m}] (the training images), got ${k}`);
  if (val.logits.shape[1] !== numClasses) throw new RangeError(`validation logits have ${val.logits.shape[1]} classes, the model ${numClasses}`);
  if (!val.labels.length) throw new RangeError('no validation images to fit the temperature and thresholds on');

  const tensors = scope(() => {
    const g = fitClassGaussians(train.embeddings, train.labels, numClasses);
    return {
      bank: l2Normalize(train.embeddings).contiguous().keep(),
      classMeans: g.classMeans.keep(),
      precision: g.precision.keep(),
      headWeight: input.head.weight.float().contiguous().keep(),
      headBias: input.head.bias.float().contiguous().keep(),
    };
  });
  const reactClip = reactClipValue(train.embeddings, reactPercentile);
  const logitsArr = scope(() => Float32Array.from(val.logits.float().contiguous().toTypedArray() as Float32Array));
  const temperature = fitTemperature(logitsArr, val.labels, numClasses);
  const info: CalibrationInfo = {
    format: CALIBRATION_FORMAT,
    method,
    temperature,
    passRate,
    thresholds: {},
    k,
    reactPercentile,
    reactClip,
    scalePercentile,
    numClasses,
    embeddingSize: d,
    fittedOn: { trainImages: m, valImages: val.labels.length, ...input.fittedOn },
    createdAt: new Date().toISOString(),
  };
  const cal = new FittedCalibration(info, tensors);
  try {
    for (const s of OOD_SCORES) info.thresholds[s] = thresholdAtPassRate(cal.score(s, val.logits, val.embeddings), passRate);
    const correct = argmaxCorrect(logitsArr, val.labels, numClasses);
    info.metrics = {
      valAccuracy: correct.reduce((a, b) => a + b, 0) / correct.length,
      valEceBefore: ece(mspScore(val.logits, 1), correct),
      valEceAfter: ece(mspScore(val.logits, temperature), correct),
    };
    return cal;
  } catch (e) {
    cal.dispose();
    throw e;
  }
}

/** 1 where the arg-max of a row of logits is its label. */
export function argmaxCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[] {
  if (logits.length !== labels.length * numClasses)
    throw new RangeError(`argmaxCorrect: ${logits.length} logits for ${labels.length} labels × ${numClasses} classes`);
  return argmaxRows(logits, labels.length).map((best, i) => (best === labels[i] ? 1 : 0));
}

/** Labels as a tensor, for callers that hold them as numbers. */
export function labelsTensor(labels: ArrayLike<number>): Tensor {
  return fromTypedArray(BigInt64Array.from(Array.from(labels, (v) => BigInt(v))), [labels.length]);
}
