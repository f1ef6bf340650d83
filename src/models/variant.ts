/**
 * How a model family describes its variants to the registry: one row of data per variant
 * (name, reference implementation, default input size) and a builder that turns the user's
 * options into a model. Families export arrays of these; `zoo.ts` collects them.
 *
 * @example
 *   export const alexnetVariants: ModelVariant[] = [
 *     { name: 'alexnet', family: 'alexnet', source: 'torchvision', inputSize: [3, 224, 224], build: (o) => new AlexNet(o) },
 *   ];
 */
import type { AttentionKind } from '../nn/attention/index.js';
import type { ImageClassifier } from './classifier.js';
import type { PreprocessConfig } from './preprocess-config.js';

/** Options every builder receives (filled with defaults by `createModel`). */
export interface ModelOptions {
  /** Classifier outputs (default 1000; 0 for no classifier). */
  numClasses: number;
  /** Dropout before the classifier; default: the reference model's rate. */
  dropRate?: number;
  /** Attention inside residual blocks (families that support it: ResNet and its variants). */
  attention?: AttentionKind;
  /** Options of the attention module (see `attention.create`). */
  attentionOptions?: Record<string, unknown>;
}

/** One model of the registry: its name, origin, default input and how to build it (see `registerModel`). */
export interface ModelVariant {
  /** Registry name, as torchvision or timm spell it: 'resnet50', 'regnety_160'. */
  name: string;
  /** Family, e.g. 'resnet', 'regnet', 'efficientnet'. */
  family: string;
  /** Whose architecture and state-dict names the model reproduces. */
  source: 'torchvision' | 'timm';
  /** Default input [C, H, W] (the reference's evaluation crop). */
  inputSize: [number, number, number];
  /**
   * What the reference weights expect beyond `inputSize`, when it differs from ImageNet's
   * statistics and torchvision's 0.875 centre crop (timm's Inception-style models: mean and
   * std 0.5). `defaultPreprocess(name)` fills in the rest.
   */
  preprocess?: Partial<Omit<PreprocessConfig, 'inputSize'>>;
  /** Whether `attention` is accepted. */
  supportsAttention?: boolean;
  /**
   * State-dict prefixes of optional auxiliary classifiers (`auxLogits`). A pretrained file
   * without them (saved from a model built with aux_logits=False) builds the model without.
   */
  auxPrefixes?: string[];
  /** Builds a new model with the given options (weights initialised, not loaded). */
  build(options: ModelOptions): ImageClassifier;
}
