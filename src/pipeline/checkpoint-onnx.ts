/**
 * A checkpoint as the bytes of an ONNX model in `finegrain export`'s format, for GET
 * /v1/model.onnx of a libtorch server (the web page's on-device mode): a fresh float32 CPU
 * copy of the weights is loaded (the served copy may be on CUDA or channels-last), traced,
 * encoded with the serving preprocessing (crop fraction included) and calibration in its
 * metadata, and freed.
 *
 * @example
 *   const { bytes, sha256 } = checkpointToOnnx('best.safetensors', { preprocess, calibration: clf.info.calibration });
 */
import { createHash } from 'node:crypto';
import { ExportError } from '../export/export-error.js';
import { exportOnnx } from '../export/export-onnx.js';
import { exportMetadata } from '../export/metadata.js';
import { encodeOnnxModel } from '../export/onnx-write.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { NotAvailableError, type OnnxModelFile } from './served-model.js';
import type { ImageClassifier } from '../models/classifier.js';
import { noGrad } from '../autograd/grad-mode.js';
import { fromTypedArray } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface CheckpointToOnnxOptions {
  /** Which parameters (as the classifier loaded them). */
  ema?: 'auto' | 'ema' | 'trained';
  /** The preprocessing to record (default: the checkpoint's). */
  preprocess?: PreprocessConfig;
  /** The unknown detector as JSON (a Calibration's toJSON()); null for none. */
  calibration?: object | null;
  /**
   * A head to export in place of the trained one (a model with enrolled classes answers with
   * its closed-form head over every class): the class names, weight [K × D] row-major, bias [K].
   */
  head?: { classes: readonly string[]; weight: Float32Array; bias: Float32Array };
}

/** The model's linear classifier replaced by `head` (K rows): what a model with enrolled classes exports. */
export function replaceHead(model: ImageClassifier, head: NonNullable<CheckpointToOnnxOptions['head']>): void {
  const k = head.classes.length;
  const d = model.numFeatures;
  if (head.weight.length !== k * d || head.bias.length !== k) throw new RangeError(`head: ${k} classes need weight [${k}, ${d}] and bias [${k}]`);
  model.resetClassifier(k);
  const linear = model.getSubmodule(model.classifierPath) as unknown as { weight?: Tensor; bias?: Tensor };
  if (!linear.weight || !linear.bias || linear.weight.shape.join() !== [k, d].join())
    throw new NotAvailableError('enrolled classes are exported for a linear classifier only');
  noGrad(() =>
    scope(() => {
      linear.weight!.copy_(fromTypedArray(head.weight, [k, d]));
      linear.bias!.copy_(fromTypedArray(head.bias, [k]));
    }),
  );
}

/** Throws a NotAvailableError when the model has a layer the exporter cannot map. */
export function checkpointToOnnx(path: string, options: CheckpointToOnnxOptions = {}): OnnxModelFile {
  const { model, meta, preprocess } = loadModelFromCheckpoint(path, { device: 'cpu', ema: options.ema ?? 'auto' });
  try {
    const p = options.preprocess ?? preprocess;
    const head = options.head;
    if (head) replaceHead(model, head);
    const graph = exportOnnx(model, { imageSize: p.inputSize });
    const bytes = encodeOnnxModel(
      graph,
      exportMetadata({
        model: meta.model,
        classes: head ? [...head.classes] : meta.classes,
        preprocessing: {
          inputSize: [p.inputSize, p.inputSize],
          mean: p.mean,
          std: p.std,
          cropFraction: p.cropFraction,
          interpolation: 'bilinear',
          layout: 'NCHW-RGB',
        },
        calibration: options.calibration ? JSON.stringify(options.calibration) : null,
        embeddingSize: model.numFeatures,
        precision: 'fp32',
      }),
    );
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (e) {
    // A layer the exporter cannot map is a property of the model, not a server fault (409).
    if (e instanceof ExportError) throw new NotAvailableError(`this model cannot be exported to ONNX: ${e.message}`);
    throw e;
  } finally {
    model.dispose();
  }
}
