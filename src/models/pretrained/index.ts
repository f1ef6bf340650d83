/**
 * Pretrained weights from outside finegrain: the int8 ONNX MobileNetV2 imported into
 * torchvision's `mobilenet_v2`, ImageNet's normalisation and labels, and the one-call
 * `loadPretrainedModel` that the fine-tuning recipes and benchmarks start from. The loader of
 * any weights file into a built model (`loadPretrained`, load-weights-file.ts, behind
 * `createModel(name, { pretrained })`) lives here too and is exported by ../index.ts.
 *
 * @example
 *   import { loadPretrainedModel, normalizeImageNet } from 'finegrain';
 *   const model = loadPretrainedModel('mobilenet_v2', { numClasses: 100 });
 *
 * @module
 */
export { importMobileNetV2Onnx, mobileNetV2ConvSlots, type MobileNetV2ConvSlot } from './mobilenet-v2-onnx.js';
export { foldedBatchNormEntries, BATCH_NORM_EPS } from './batch-norm-as-bias.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNet, readImageNetLabels } from './imagenet.js';
export { loadPretrainedModel, defaultOnnxPath, onnxImportableModels, type PretrainedModelOptions } from './load-pretrained-model.js';
export { sharedPath, MOBILENET_V2_ONNX, IMAGENET_LABELS } from './shared.js';
export { recalibrateBatchNorm } from './recalibrate.js';
