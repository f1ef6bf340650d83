/**
 * Layer normalisation over the trailing `normalizedShape` dimensions (torch.nn.LayerNorm),
 * with a learnt element-wise `weight` and `bias`.
 *
 * @example
 *   const norm = new LayerNorm(768, { eps: 1e-6 });
 *   const y = norm.forward(tokens);   // [N, L, 768]
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/creation.js';
import { layerNorm } from '../functional/normalization.js';
import { Module } from '../module.js';

export interface LayerNormLayerOptions {
  eps?: number;
  /** Learn `weight` (and `bias`) (default true). */
  elementwiseAffine?: boolean;
  /** Learn `bias` when affine (default true). */
  bias?: boolean;
}

export class LayerNorm extends Module {
  declare readonly weight: Tensor | null;
  declare readonly bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormLayerOptions = {}) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = options;
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = eps;
    this.registerParameter('weight', elementwiseAffine ? ones(this.normalizedShape) : null);
    this.registerParameter('bias', elementwiseAffine && bias ? zeros(this.normalizedShape) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}
