/**
 * The model zoo: torchvision- and timm-compatible classifiers behind one interface
 * (`ImageClassifier`), created by name with `createModel`.
 *
 * @example
 *   import { createModel, listModels } from 'finegrain';
 *   const model = createModel('resnet50', { numClasses: 200, attention: 'se' });
 */
export { ImageClassifier, type ResetClassifierOptions } from './classifier.js';
export { createModel, listModels, modelInfo, registerModel, type CreateModelOptions } from './registry.js';
export type { ModelOptions, ModelVariant } from './variant.js';
export { loadPretrained } from './pretrained.js';
export { ResNet, type ResNetConfig } from './resnet/resnet.js';
export { BasicBlock, Bottleneck, SelectiveKernelBasic, SelectiveKernelBottleneck, ResidualBlock } from './resnet/blocks.js';
