/**
 * One call from a model name to a pretrained model in eval mode: from an ONNX file through
 * the model's importer (MobileNetV2: the int8 ONNX Model Zoo file, by default the one in
 * ../shared/weights), or from a safetensors checkpoint with the model's own key names. With
 * `numClasses`, the ImageNet classifier is replaced by a fresh one: the fine-tuning start
 * that the cub100 training and benchmarks use. The ONNX MobileNetV2 comes with BatchNorm folded
 * (placeholder statistics, exact in eval mode): call `recalibrateBatchNorm(model, batches)`
 * before fine-tuning with BatchNorm in training mode.
 *
 * @example
 *   const model = loadPretrainedModel('mobilenet_v2');                     // ImageNet, 1000 classes
 *   const birds = loadPretrainedModel('mobilenet_v2', { numClasses: 100 }); // new head for cub100
 *   const again = loadPretrainedModel('mobilenet_v2', { weights: 'mobilenet_v2.safetensors' });
 */
import { existsSync } from 'node:fs';
import type { Tensor } from '../../tensor/index.js';
import { withoutInit } from '../../nn/init.js';
import type { ImageClassifier } from '../classifier.js';
import { createModel } from '../registry.js';
import { importMobileNetV2Onnx } from './mobilenet-v2-onnx.js';
import { MOBILENET_V2_ONNX, sharedPath } from './shared.js';

/** Where `loadPretrainedModel` reads the weights from, and the head it puts on. */
export interface PretrainedModelOptions {
  /** An ONNX file for the model's importer (default: the model's file in ../shared/weights). */
  onnx?: string;
  /** A safetensors state dict with the model's key names (instead of ONNX). */
  weights?: string;
  /** Replace the classifier by a freshly initialised one with this many outputs. */
  numClasses?: number;
  /** Dropout before the classifier (default: the architecture's). */
  dropRate?: number;
}

interface OnnxImporter {
  import(source: string): Record<string, Tensor>;
  /** The default file, relative to the shared folder. */
  defaultFile: readonly string[];
}

/** Architectures with an ONNX importer, by registry name. */
const ONNX_IMPORTERS: Record<string, OnnxImporter> = {
  mobilenet_v2: { import: importMobileNetV2Onnx, defaultFile: MOBILENET_V2_ONNX },
};

/**
 * The names `loadPretrainedModel` can import from ONNX.
 * @example onnxImportableModels(); // ['mobilenet_v2']
 */
export function onnxImportableModels(): string[] {
  return Object.keys(ONNX_IMPORTERS);
}

/**
 * The ONNX file `loadPretrainedModel(name)` reads by default, or null when the model has no
 * importer. The file may be absent (a clone without ../shared): check before relying on it.
 *
 * @example if (existsSync(defaultOnnxPath('mobilenet_v2')!)) ...
 */
export function defaultOnnxPath(name: string): string | null {
  const imp = ONNX_IMPORTERS[name];
  return imp ? sharedPath(...imp.defaultFile) : null;
}

/**
 * Builds `name` with pretrained weights, in eval mode. Throws when the file is missing, when
 * the model has no ONNX importer, or when the weights do not fit (naming the keys).
 *
 * @example
 *   const model = loadPretrainedModel('mobilenet_v2', { onnx: 'mobilenetv2-12-int8.onnx' });
 *   const logits = noGrad(() => model.forward(normalizeImageNet(batch)));
 */
export function loadPretrainedModel(name: string, options: PretrainedModelOptions = {}): ImageClassifier {
  const { onnx, weights, numClasses, dropRate } = options;
  if (onnx && weights) throw new Error('loadPretrainedModel: give either onnx or weights, not both');
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 0))
    throw new RangeError(`numClasses must be a non-negative integer, got ${numClasses}`);
  let model: ImageClassifier;
  if (weights) {
    if (!existsSync(weights)) throw new Error(`weights file not found: ${weights}`);
    // createModel re-initialises the classifier itself when numClasses differs from the file's.
    model = createModel(name, { pretrained: weights, ...(numClasses !== undefined && { numClasses }), ...(dropRate !== undefined && { dropRate }) });
  } else {
    const importer = ONNX_IMPORTERS[name];
    if (!importer)
      throw new Error(`no ONNX importer for '${name}' (available: ${onnxImportableModels().join(', ')}); pass { weights: 'file.safetensors' } instead`);
    const path = onnx ?? sharedPath(...importer.defaultFile);
    if (!existsSync(path))
      throw new Error(
        `ONNX file not found: ${path}${onnx ? '' : ' (the default weights live in ../shared/weights beside the repository; set FINEGRAIN_SHARED or pass { onnx })'}`,
      );
    const dict = importer.import(path);
    try {
      const classes = dict['classifier.1.weight']?.shape[0] ?? 1000;
      model = withoutInit(() => createModel(name, { numClasses: classes, ...(dropRate !== undefined && { dropRate }) }));
      try {
        model.loadStateDict(dict);
      } catch (e) {
        model.dispose();
        throw e;
      }
      if (numClasses !== undefined && numClasses !== classes) model.resetClassifier(numClasses);
    } finally {
      for (const t of Object.values(dict)) t.dispose();
    }
  }
  return model.eval();
}
