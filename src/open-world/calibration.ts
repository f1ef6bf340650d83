/**
 * What `finegrain calibrate` fits for a checkpoint, stored beside it, and what `serve`, the
 * library's `classifier()` and `eval --ood` read back: the temperature, the default OOD score
 * and a threshold for every score (each at the same in-distribution pass rate, 95 % by
 * default), and the statistics the scores need.
 *
 * Storage: a sidecar `<checkpoint without .safetensors>.calibration.safetensors` next to the
 * checkpoint, found by `loadCalibration(checkpointPath)` with no flag. Tensors: `bank` [M, D]
 * (L2-normalised training embeddings, knn), `class_means` [C, D] and `precision` [D, D]
 * (mahalanobis), `head.weight` [C, D] and `head.bias` [C] (react, scale); JSON metadata under
 * `finegrain_calibration` (`CalibrationInfo`). The sidecar names the SHA-256 of the
 * checkpoint it was fitted for; a checkpoint that changed since makes loading fail loudly
 * instead of applying stale thresholds.
 *
 * Scores are higher for in-distribution inputs; a row is unknown when its score is below the
 * threshold.
 *
 * @example
 *   const cal = loadCalibration('runs/a/checkpoints/best.safetensors') ?? uncalibrated();
 *   const verdicts = cal.unknown(logits, embeddings);   // [{ isUnknown, score, threshold, method, calibrated }]
 *   const probs = cal.probabilities(logits);            // softmax(logits / T), caller disposes
 *   cal.dispose();
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../io/index.js';
import { softmax } from '../nn/functional/activation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { availableScores, isOodScoreName, oodScore } from './ood/compute.js';
import { REACT_PERCENTILE } from './ood/react.js';
import { SCALE_PERCENTILE } from './ood/scale.js';
import { OOD_SCORES, type OodScoreName, type OodStats } from './ood/score.js';
import { UNCALIBRATED_MSP_THRESHOLD } from './logit-verdict.js';
import type { HeadDecision } from './choose-head.js';

export const CALIBRATION_FORMAT = 'finegrain-calibration/1';

/** The uncalibrated MSP threshold (defined with the logit-only verdicts, which use it too). */
export { UNCALIBRATED_MSP_THRESHOLD };

/** The OOD verdict for one image. */
export interface UnknownVerdict {
  /** Whether the image looks like none of the classes: its score is below the threshold. */
  isUnknown: boolean;
  /** The OOD score (higher means more like the training data). */
  score: number;
  /** The threshold the score was compared with. */
  threshold: number;
  /** Which OOD score was used ('knn', 'energy', 'msp', ...). */
  method: string;
  /** Whether the threshold was fitted for this model (false: the uncalibrated softmax default). */
  calibrated: boolean;
}

/** What the open-world answers of one model need: a temperature and OOD verdicts; fitted by `calibrate`, read back by `loadCalibration`, or `uncalibrated()`. */
export interface Calibration {
  /** Softmax temperature (1 when not fitted). */
  readonly temperature: number;
  /** The default OOD score, e.g. 'knn' or 'energy'. */
  readonly method: string;
  /** Per row: the OOD verdict. logits [N, C] float32, embeddings [N, D] float32 (CPU tensors; not disposed). */
  unknown(logits: Tensor, embeddings: Tensor): UnknownVerdict[];
  /** Temperature-scaled probabilities [N, C] (a new tensor the caller disposes). */
  probabilities(logits: Tensor): Tensor;
  /** For GET /v1/model and ONNX metadata. */
  toJSON(): object;
  /** Frees the statistics tensors. */
  dispose(): void;
}

/** The JSON half of a stored calibration. */
export interface CalibrationInfo {
  /** The format tag (`finegrain-calibration/1`); a file with another is refused. */
  format: typeof CALIBRATION_FORMAT;
  /** The default score (`unknown()` uses it). */
  method: OodScoreName;
  /** The fitted softmax temperature. */
  temperature: number;
  /** Fraction of in-distribution validation images each threshold lets pass. */
  passRate: number;
  /** Threshold per score, at `passRate`. */
  thresholds: Partial<Record<OodScoreName, number>>;
  /** knn's neighbour rank. */
  k: number;
  /** Percentile of the training activations that ReAct clips at (default 90). */
  reactPercentile: number;
  /** The ReAct clip value that percentile gave. */
  reactClip?: number;
  /** The scale score's percentile p in (0, 100): activations above a row's p-th percentile set its scale factor (default 85). */
  scalePercentile: number;
  /** Classes of the model it was fitted for. */
  numClasses: number;
  /** Width of the embeddings it was fitted on. */
  embeddingSize: number;
  /** The checkpoint this was fitted for: file name and SHA-256 of its bytes. */
  checkpoint?: {
    /** The checkpoint's file name. */
    file: string;
    /** SHA-256 of its bytes, hex: a checkpoint that changed since is refused. */
    sha256: string;
  };
  /** Where the statistics came from, and validation figures (free-form, for people). */
  fittedOn?: Record<string, unknown>;
  /** Validation figures of the fit (accuracy, calibration error), free-form. */
  metrics?: Record<string, unknown>;
  /**
   * Which head the model answers with — its trained classifier or the closed-form LDA head over
   * its embeddings (choose-head.ts) — and the validation accuracies the choice rests on. The
   * temperature and thresholds are fitted on that head's logits. Absent: the trained head.
   */
  head?: HeadDecision;
  /** When it was fitted, ISO 8601. */
  createdAt?: string;
}

/** A calibration that cannot be used: a damaged sidecar, one fitted for another checkpoint, a score it has no threshold for. */
export class CalibrationError extends Error {
  /** 'CalibrationError', for logs and for callers that test names rather than classes. */
  override name = 'CalibrationError';
}

/** The sidecar file of a checkpoint. */
export function calibrationPath(checkpointPath: string): string {
  return checkpointPath.replace(/\.safetensors$/, '') + '.calibration.safetensors';
}

/** SHA-256 of a file's bytes, hex. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Statistics tensors by their stored names. */
const TENSOR_NAMES = { bank: 'bank', classMeans: 'class_means', precision: 'precision', headWeight: 'head.weight', headBias: 'head.bias' } as const;
type StatTensor = keyof typeof TENSOR_NAMES;

/**
 * A calibration in memory: fitted by `fitCalibration` or loaded from a sidecar. It owns its
 * tensors (`dispose()` frees them).
 */
export class FittedCalibration implements Calibration {
  /** The JSON half: method, temperature, thresholds, the checkpoint it was fitted for. */
  readonly info: CalibrationInfo;
  /** The statistics the scores use (tensors owned by this calibration). */
  readonly stats: OodStats;

  /** @internal Made by `calibrate` (through the fitting code) and by `loadCalibration`. */
  constructor(info: CalibrationInfo, tensors: Partial<Record<StatTensor, Tensor>>) {
    this.info = info;
    this.stats = {
      temperature: info.temperature,
      k: info.k,
      scalePercentile: info.scalePercentile,
      ...(info.reactClip !== undefined && { reactClip: info.reactClip }),
      ...tensors,
    };
  }

  get temperature(): number {
    return this.info.temperature;
  }

  get method(): OodScoreName {
    return this.info.method;
  }

  /** Threshold of `method` (the default score unless named). */
  threshold(method: OodScoreName = this.method): number {
    const t = this.info.thresholds[method];
    if (t === undefined)
      throw new CalibrationError(`this calibration has no threshold for '${method}' (it has: ${Object.keys(this.info.thresholds).join(', ')})`);
    return t;
  }

  /** The scores this calibration can compute. */
  methods(): OodScoreName[] {
    return availableScores(this.stats).filter((m) => this.info.thresholds[m] !== undefined);
  }

  /** One score for every row (higher = more in-distribution). */
  score(method: OodScoreName, logits: Tensor, embeddings: Tensor): Float64Array {
    return oodScore(method, logits, embeddings, this.stats);
  }

  unknown(logits: Tensor, embeddings: Tensor): UnknownVerdict[] {
    checkRows(logits, embeddings, this.info);
    const threshold = this.threshold();
    return Array.from(this.score(this.method, logits, embeddings), (score) => ({
      isUnknown: !(score >= threshold),
      score,
      threshold,
      method: this.method,
      calibrated: true,
    }));
  }

  probabilities(logits: Tensor): Tensor {
    return scope(() => softmax(logits.float().div(this.temperature), 1));
  }

  toJSON(): object {
    // Everything but the shapes the tensors already say.
    const { numClasses: _classes, embeddingSize: _size, ...shown } = this.info;
    return { calibrated: true, ...shown };
  }

  /** Writes the sidecar of `checkpointPath` (atomically), naming the checkpoint's hash. */
  save(checkpointPath: string): string {
    const out = calibrationPath(checkpointPath);
    const info: CalibrationInfo = { ...this.info, checkpoint: { file: basename(checkpointPath), sha256: fileSha256(checkpointPath) } };
    const tensors: Record<string, Tensor> = {};
    for (const [key, name] of Object.entries(TENSOR_NAMES) as [StatTensor, string][]) {
      const t = this.stats[key];
      if (t) tensors[name] = t;
    }
    saveSafetensors(out, tensors, { finegrain_calibration: JSON.stringify(info) });
    (this.info as { checkpoint?: CalibrationInfo['checkpoint'] }).checkpoint = info.checkpoint;
    return out;
  }

  dispose(): void {
    for (const key of Object.keys(TENSOR_NAMES) as StatTensor[]) this.stats[key]?.dispose();
  }
}

function checkRows(logits: Tensor, embeddings: Tensor, info: Pick<CalibrationInfo, 'numClasses' | 'embeddingSize'> | null): void {
  if (logits.shape.length !== 2 || embeddings.shape.length !== 2 || logits.shape[0] !== embeddings.shape[0])
    throw new RangeError(`unknown(): logits [N, C] and embeddings [N, D] with the same N expected, got [${logits.shape}] and [${embeddings.shape}]`);
  if (info && (logits.shape[1] !== info.numClasses || embeddings.shape[1] !== info.embeddingSize))
    throw new RangeError(
      `unknown(): this calibration is for ${info.numClasses} classes and ${info.embeddingSize}-d embeddings, got [${logits.shape}] and [${embeddings.shape}]`,
    );
}

/**
 * The calibration stored for a checkpoint (its sidecar), or null when it has none. A sidecar
 * that is malformed, or fitted for different checkpoint bytes, throws a CalibrationError.
 */
export function loadCalibration(checkpointPath: string): FittedCalibration | null {
  const path = calibrationPath(checkpointPath);
  if (!existsSync(path)) return null;
  const { tensors, metadata } = loadSafetensors(path);
  const fail = (msg: string): never => {
    for (const t of Object.values(tensors)) t.dispose();
    throw new CalibrationError(`${path}: ${msg}`);
  };
  let info: CalibrationInfo;
  try {
    info = JSON.parse(metadata?.finegrain_calibration ?? 'null') as CalibrationInfo;
  } catch {
    return fail('its finegrain_calibration metadata is not valid JSON');
  }
  if (!info || info.format !== CALIBRATION_FORMAT) return fail(`not a finegrain calibration (expected metadata format ${CALIBRATION_FORMAT})`);
  if (!isOodScoreName(info.method)) return fail(`unknown method '${info.method}' (expected one of ${OOD_SCORES.join(', ')})`);
  if (!(info.temperature > 0 && Number.isFinite(info.temperature))) return fail(`temperature must be a positive number, got ${info.temperature}`);
  for (const [m, t] of Object.entries(info.thresholds ?? {})) {
    if (!isOodScoreName(m)) return fail(`threshold for unknown method '${m}'`);
    if (typeof t !== 'number' || !Number.isFinite(t)) return fail(`threshold for '${m}' is not a finite number`);
  }
  if (info.thresholds?.[info.method] === undefined) return fail(`no threshold for its default method '${info.method}'`);
  if (info.head !== undefined && !(['trained', 'closed-form'].includes(info.head?.kind) && info.head.shrinkage > 0))
    return fail(`"head" must be {kind: trained | closed-form, shrinkage > 0, …}, got ${JSON.stringify(info.head)}`);
  if (info.head?.meanScale !== undefined && !(info.head.meanScale > 0 && info.head.meanScale <= 1))
    return fail(`"head.meanScale" must be in (0, 1], got ${JSON.stringify(info.head.meanScale)}`);
  if (info.checkpoint && existsSync(checkpointPath)) {
    const sha = fileSha256(checkpointPath);
    if (sha !== info.checkpoint.sha256)
      return fail(
        `fitted for other checkpoint bytes (${info.checkpoint.file}, sha256 ${info.checkpoint.sha256.slice(0, 12)}…; this file is ${sha.slice(0, 12)}…): run finegrain calibrate again`,
      );
  }
  const stats: Partial<Record<StatTensor, Tensor>> = {};
  for (const [key, name] of Object.entries(TENSOR_NAMES) as [StatTensor, string][]) if (tensors[name]) stats[key] = tensors[name];
  for (const name of Object.keys(tensors)) if (!(Object.values(TENSOR_NAMES) as string[]).includes(name)) return fail(`unexpected tensor '${name}'`);
  const d = info.embeddingSize;
  const c = info.numClasses;
  const expect = (key: StatTensor, shape: number[]) => {
    const t = stats[key];
    if (t && t.shape.join() !== shape.join()) fail(`tensor '${TENSOR_NAMES[key]}' has shape [${t.shape}], expected [${shape}]`);
  };
  if (stats.bank) expect('bank', [stats.bank.shape[0]!, d]);
  expect('classMeans', [c, d]);
  expect('precision', [d, d]);
  expect('headWeight', [c, d]);
  expect('headBias', [c]);
  if (info.method === 'knn' && stats.bank && info.k > stats.bank.shape[0]!) fail(`k = ${info.k} exceeds the bank's ${stats.bank.shape[0]} embeddings`);
  const cal = new FittedCalibration(info, stats);
  if (!availableScores(cal.stats).includes(info.method)) {
    cal.dispose();
    throw new CalibrationError(`${path}: its default method '${info.method}' needs statistics the file does not hold`);
  }
  return cal;
}

/**
 * What a model without calibration uses: the maximum softmax probability at temperature 1,
 * unknown below UNCALIBRATED_MSP_THRESHOLD; every verdict says calibrated: false.
 *
 * @example
 *   const v = uncalibrated().unknown(logits, embeddings)[0]; // { method: 'msp', calibrated: false, ... }
 */
export function uncalibrated(): Calibration {
  const threshold = UNCALIBRATED_MSP_THRESHOLD;
  return {
    temperature: 1,
    method: 'msp',
    unknown(logits: Tensor, embeddings: Tensor): UnknownVerdict[] {
      checkRows(logits, embeddings, null);
      return Array.from(oodScore('msp', logits, embeddings, { temperature: 1, k: 1, scalePercentile: SCALE_PERCENTILE }), (score) => ({
        isUnknown: !(score >= threshold),
        score,
        threshold,
        method: 'msp',
        calibrated: false,
      }));
    },
    probabilities(logits: Tensor): Tensor {
      return scope(() => softmax(logits.float(), 1));
    },
    toJSON(): object {
      return {
        calibrated: false,
        method: 'msp',
        temperature: 1,
        thresholds: { msp: threshold },
        note: 'no calibration stored for this checkpoint: run finegrain calibrate --checkpoint C --data VAL',
      };
    },
    dispose(): void {},
  };
}

export { REACT_PERCENTILE, SCALE_PERCENTILE };
