/**
 * Pretrained weights from outside finegrain: the int8 ONNX MobileNetV2 imported into
 * torchvision's `mobilenet_v2`, ImageNet's normalisation and labels, and the one-call
 * `loadPretrainedModel` that the fine-tuning recipes and benchmarks start from.
 *
 * @example
 *   import { loadPretrainedModel, normalizeImageNet } from 'finegrain';
 *   const model = loadPretrainedModel('mobilenet_v2', { numClasses: 100 });
 */
export { importMobileNetV2Onnx, mobileNetV2ConvSlots, type MobileNetV2ConvSlot } from './mobilenet-v2-onnx.js';
export { foldedBatchNormEntries, BATCH_NORM_EPS } from './folded-batch-norm.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNet, readImageNetLabels } from './imagenet.js';
export { loadPretrainedModel, defaultOnnxPath, onnxImportableModels, type PretrainedModelOptions } from './load.js';
export { sharedPath, MOBILENET_V2_ONNX, IMAGENET_LABELS } from './shared.js';
export { recalibrateBatchNorm } from './recalibrate.js';
