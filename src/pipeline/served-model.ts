/**
 * What `finegrain serve` needs of a model, whichever runtime computes it: the libtorch
 * `Classifier` (classifier.ts: checkpoints, ensembles, TTA, attention maps) and the
 * `OnnxClassifier` (onnx-classifier.ts: one exported .onnx file on ONNX Runtime, for machines
 * without libtorch) both implement it, so the routes, the micro-batcher and the web page do not
 * know which one answers.
 *
 * This file and everything the ONNX path imports load no native addon (libtorch); the types
 * taken from classifier.ts are erased at compile time.
 *
 * @example
 *   const model: ServedModel = runtime === 'onnx' ? await onnxClassifier('m.onnx') : await classifier('best.safetensors');
 *   const image = await model.decode(bytes);
 *   const [r] = await model.runBatch([{ image, topK: 3 }]);
 */
import type { ActivationMapMethod } from '../models/class-activation-map.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { QualityThresholds } from '../open-world/quality.js';
import type { AttentionImages, BatchItem, BatchResult, DecodedImage, Verification } from './classifier.js';
import type { ClassifierInput } from './input.js';
import { closestClasses, type VerificationThresholds } from './verification.js';

/** Which engine computes the forward passes. */
export type ServingRuntime = 'libtorch' | 'onnx';

/** What GET /v1/model reports, and what the routes read. */
export interface ServedModelInfo {
  runtime: ServingRuntime;
  /** A readable name: the run folder and file (`cars33/best`) or the file name. */
  name: string;
  architectures: string[];
  /** The model files served (checkpoints, or the .onnx file) with their SHA-256. */
  checkpoints: { path: string; sha256: string; weight: number }[];
  classes: readonly string[];
  inputSize: number;
  preprocess: PreprocessConfig;
  device: string;
  precision: string;
  channelsLast: boolean;
  ensemble: string;
  /** How attention maps are computed; null where the runtime cannot make them (ONNX). */
  attentionMethod: ActivationMapMethod | null;
  /** The unknown detector, as JSON (method, thresholds, temperature, calibrated, notes). */
  calibration: object;
  qualityThresholds: QualityThresholds;
  verificationThresholds: VerificationThresholds;
}

/** The served model as one ONNX file (GET /v1/model.onnx), with a hash for its ETag. */
export interface OnnxModelFile {
  bytes: Uint8Array;
  sha256: string;
}

/** A claimed class the model does not have; `closest` lists the nearest names. */
export class UnknownClassError extends Error {
  override name = 'UnknownClassError';
  constructor(
    readonly claimed: string,
    readonly closest: string[],
  ) {
    super(`'${claimed}' is not one of the model's classes; closest: ${closest.map((c) => `'${c}'`).join(', ')}`);
  }
}

/** Something the served model cannot do in this set-up (an ONNX file of an ensemble, attention on ONNX). */
export class NotAvailableError extends Error {
  override name = 'NotAvailableError';
}

/** The index of `label` in `byName`, or an UnknownClassError listing the closest names. */
export function indexOfClass(label: string, byName: ReadonlyMap<string, number>, classes: readonly string[]): number {
  const i = byName.get(label);
  if (i === undefined) throw new UnknownClassError(label, closestClasses(label, classes, 5));
  return i;
}

export interface ServedModel {
  readonly classes: readonly string[];
  readonly info: ServedModelInfo;
  /** The index of a class name, or an UnknownClassError listing the closest names. */
  classIndex(label: string): number;
  /** Decodes an input as this model's preprocessing wants it (off the JS thread), quality judged. */
  decode(input: ClassifierInput, options?: { label?: string }): Promise<DecodedImage>;
  /** One forward pass over decoded images (a micro-batch). */
  runBatch(items: readonly BatchItem[]): BatchResult[] | Promise<BatchResult[]>;
  /** The attention maps of a result as PNG data URLs (undefined when none were computed). */
  renderAttention(image: DecodedImage, r: BatchResult): Promise<AttentionImages | undefined>;
  /** The verification answer from a result that carried a claimed class. */
  decideVerification(r: BatchResult): Pick<Verification, 'decision' | 'reason' | 'claimed'>;
  /** Forward passes on blank batches of each size, so first requests are not slow. */
  warmUp(batchSizes: readonly number[], rounds?: number): void | Promise<void>;
  /** The model as an ONNX file (exported on first call where it is not one already). */
  onnxModel(): Promise<OnnxModelFile>;
  /**
   * Calls `listener` once if the model stops working for good before dispose() (its inference
   * thread died); requests in flight have been failed by then. Runtimes that cannot fail
   * this way leave it out.
   */
  onFailure?(listener: (error: Error) => void): void;
  dispose(): void;
}
