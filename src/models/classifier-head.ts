/**
 * timm's `ClassifierHead` as far as its state goes: a module holding the final linear
 * layer as `fc`, so timm checkpoints' `head.fc.weight` keys load. Pooling and dropout are
 * done by `ImageClassifier`.
 *
 * @example
 *   this.registerModule('head', new ClassifierHead(2048, 1000));   // keys head.fc.weight, head.fc.bias
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';
import { Identity } from '../nn/layers/identity.js';

/** timm's classifier head as far as its state goes: the final Linear as `fc`, so `head.fc.*` keys load. */
export class ClassifierHead extends Module {
  /** The final Linear (an `Identity` for `numClasses` 0). */
  declare readonly fc: Linear | Identity;

  constructor(inFeatures: number, numClasses: number) {
    super();
    this.registerModule('fc', numClasses > 0 ? new Linear(inFeatures, numClasses) : new Identity());
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}
