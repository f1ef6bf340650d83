/**
 * The model zoo: torchvision- and timm-compatible classifiers behind one interface
 * (`ImageClassifier`), created by name with `createModel`.
 *
 * @example
 *   import { createModel, listModels } from 'finegrain';
 *   const model = createModel('resnet50', { numClasses: 200, attention: 'se' });
 *
 * @module
 */
export { ImageClassifier, type ResetClassifierOptions } from './classifier.js';
export { createModel, listModels, modelInfo, registerModel, type CreateModelOptions } from './registry.js';
export type { ModelOptions, ModelVariant } from './variant.js';
export { loadPretrained } from './pretrained/load-weights-file.js';
export { ResNet, type ResNetConfig } from './resnet/resnet.js';
export { BasicBlock, Bottleneck, SelectiveKernelBasic, SelectiveKernelBottleneck, ResidualBlock, type BlockOptions } from './resnet/blocks.js';
export { ClassifierHead } from './classifier-head.js';
export { AlexNet } from './alexnet/alexnet.js';
export { VGG, VGG_LAYERS } from './vgg/vgg.js';
export { MobileNetV2, InvertedResidualV2 } from './mobilenet/mobilenet-v2.js';
export { MobileNetV3, InvertedResidualV3 } from './mobilenet/mobilenet-v3.js';
export { EfficientNet, MBConv, EFFICIENTNET, type EfficientNetConfig } from './efficientnet/efficientnet.js';
export { StochasticDepth } from './efficientnet/stochastic-depth.js';
export { RegNet, ResBottleneckBlock, REGNETS } from './regnet/regnet.js';
export { TimmRegNet, TimmRegNetBottleneck, TIMM_REGNETS } from './regnet/regnet-timm.js';
export { blockWidths, torchvisionRegNetStages, timmRegNetStages, type RegNetParams, type RegNetStage } from './regnet/widths.js';
export { GoogLeNet, GoogLeNetAux, type GoogLeNetOutputs } from './inception/googlenet.js';
export { Inception3, type InceptionOutputs } from './inception/inception-v3.js';
export { InceptionAux } from './inception/inception-v3-blocks.js';
export { BasicConv2d, type BasicConv2dOptions } from './inception/basic-conv2d.js';
export { InceptionV4 } from './inception/inception-v4.js';
export { DenseNet, type DenseNetConfig } from './densenet/densenet.js';
export { VisionTransformer, type VitConfig } from './vit/vit.js';
export { Encoder, EncoderBlock, type EncoderOptions } from './vit/encoder.js';
export { MultiheadAttention } from './vit/multihead-attention.js';
export { TimmVisionTransformer, PatchEmbed, TIMM_VIT, type TimmVitConfig, type GlobalPool } from './vit/timm-vit.js';
export { TimmBlock, TimmAttention, TimmMlp, vitNorm, type TimmBlockOptions } from './vit/timm-block.js';
export { sincosPositionEmbedding } from './vit/sincos-position.js';
export {
  describeMaeWeights,
  readMaeEncoder,
  MAE_ENCODER_FILE,
  MAE_ENCODER_FORMAT,
  MAE_ENCODER_METADATA_KEY,
  type MaeEncoderInfo,
  type MaeWeights,
} from './vit/mae-encoder.js';
export { renameVitKey, resizePositionEmbedding, vitLayoutOf, TIMM_TO_TORCHVISION, type VitLayout } from './vit/vit-weights.js';
export { ConvNeXt, type ConvNeXtConfig } from './convnext/convnext.js';
export { LayerNorm2d } from './convnext/layer-norm-2d.js';
export { NASNetALarge, type NasNetConfig } from './nasnet/nasnet.js';
export { Cell, CellStem0, CellStem1 } from './nasnet/cells.js';
export type { FamilyOptions } from './family-options.js';
export * from './checkpoint/index.js';
export { loadModelFromCheckpoint, type LoadedModel, type LoadModelOptions } from './load-checkpoint.js';
export { attentionMaps } from './attention-map.js';
export type { ActivationMapMethod } from './class-activation-map.js';
export * from './preprocess-config.js';
export { defaultPreprocess } from './registry.js';
