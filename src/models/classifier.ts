/**
 * `ImageClassifier`: the interface every model of the zoo implements on top of `Module`, so
 * training, fine-grained heads and inference can treat backbones alike:
 *
 * - `forwardFeatures(x)`: the last feature map [N, C, h, w] (for attention maps and crops);
 * - `forwardEmbedding(x)`: the pooled pre-logits embedding [N, numFeatures];
 * - `forwardHead(emb)`: the logits (dropout, then the final linear layer);
 * - `forward(x)`: forwardHead(forwardEmbedding(x)), exactly the reference model's output;
 * - `resetClassifier(numClasses, { dropRate })`: a new final layer for a new label set;
 * - `numFeatures`, `numClasses`, `defaultInputSize` (for FLOPs and data pipelines).
 *
 * @example
 *   const model = createModel('resnet50', { pretrained: 'resnet50.safetensors' });
 *   model.resetClassifier(200, { dropRate: 0.2 });        // CUB-200 birds
 *   const emb = model.forwardEmbedding(images);            // [N, 2048]
 *   const logits = model.forwardHead(emb);                 // [N, 200]
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d } from '../nn/functional/pooling.js';
import { dropout } from '../nn/functional/dropout.js';
import { Module } from '../nn/module.js';
import type { FlopCount } from '../nn/flops.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Identity } from '../nn/layers/identity.js';
import { Linear } from '../nn/layers/linear.js';

/** Options of `ImageClassifier.resetClassifier`. */
export interface ResetClassifierOptions {
  /** Dropout before the new classifier (default: keep the current rate). */
  dropRate?: number;
}

/**
 * The base of every model of the zoo: a `Module` with the same entry points whatever the
 * architecture, so training, heads and inference treat backbones alike: `forwardFeatures`
 * (the last feature map), `forwardEmbedding` (pooled, [N, numFeatures]), `forwardHead` (the
 * logits), `forward` (the reference model's output) and `resetClassifier` (a new label set).
 *
 * @example
 *   const model = createModel('resnet50', { pretrained: 'resnet50.safetensors' });
 *   model.resetClassifier(200, { dropRate: 0.2 });
 *   const logits = model.forwardHead(model.forwardEmbedding(images));   // [N, 200]
 */
export abstract class ImageClassifier extends Module {
  /** Width of `forwardEmbedding`'s output (the classifier's input). */
  abstract readonly numFeatures: number;
  /** Output width of the classifier (0: no classifier, `forward` returns the embedding). */
  numClasses: number;
  /** Input size [C, H, W] the model was designed for (FLOPs, default crops). */
  defaultInputSize: [number, number, number] = [3, 224, 224];
  /** Dotted path of the final linear layer (the keys a new label set replaces). */
  abstract readonly classifierPath: string;
  /**
   * Final layers of auxiliary classifiers (googlenet's `aux1.fc2`, inception_v3's
   * `AuxLogits.fc`): pretrained weights for another label set skip them too, and
   * `resetClassifier` (which such models extend) renews them.
   */
  get auxClassifierPaths(): string[] {
    return [];
  }
  /**
   * Dropout applied functionally before the classifier by models whose reference head has no
   * Dropout module (ResNet, RegNet); models with one change that module's rate instead.
   */
  protected headDropRate = 0;

  constructor(numClasses: number) {
    super();
    this.numClasses = numClasses;
  }

  /** The final feature map [N, C, h, w]. */
  abstract forwardFeatures(x: Tensor): Tensor;

  /**
   * The pooled embedding [N, numFeatures]: global average pooling of the feature map, then
   * whatever pre-logits layers the model has.
   */
  forwardEmbedding(x: Tensor): Tensor {
    return scope(() => this.preLogits(adaptiveAvgPool2d(this.forwardFeatures(x), 1).flatten(1)));
  }

  /** Layers between pooling and the head (none by default). */
  protected preLogits(pooled: Tensor): Tensor {
    return pooled;
  }

  /** Logits from an embedding: dropout (while training) and the final linear layer. */
  forwardHead(embedding: Tensor): Tensor {
    return scope(() => {
      const x = this.headDropRate > 0 ? dropout(embedding, { p: this.headDropRate, training: this.training }) : embedding;
      return this.getSubmodule(this.classifierPath).forward(x);
    });
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.forwardHead(this.forwardEmbedding(x)));
  }

  /**
   * Replaces the final linear layer by a freshly initialised one with `numClasses` outputs
   * (PyTorch's default Linear initialisation; 0 gives an identity head) and optionally sets
   * the dropout before it. The old layer is freed. Its keys keep their names.
   */
  resetClassifier(numClasses: number, options: ResetClassifierOptions = {}): void {
    const head = numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity();
    const old = this.setSubmodule(this.classifierPath, head);
    old?.dispose();
    this.numClasses = numClasses;
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
  }

  /** Sets the dropout before the classifier (the head's Dropout module, if the model has one). */
  setDropRate(p: number): void {
    const drop = this.headDropout();
    if (drop) drop.p = p;
    else this.headDropRate = p;
  }

  /** The Dropout module right before the classifier, for models whose reference head has one. */
  protected headDropout(): Dropout | null {
    return null;
  }

  /** Multiply-adds at `inputSize` (default: the model's `defaultInputSize`). */
  override flops(inputSize: readonly number[] = this.defaultInputSize): FlopCount {
    return super.flops(inputSize);
  }
}
