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

/** Options of `LayerNorm` and `LayerNorm2d`. */
export interface LayerNormLayerOptions {
  /** Added to the variance for stability (default 1e-5; ViT and ConvNeXt use 1e-6). */
  eps?: number;
  /** Learn `weight` (and `bias`) (default true). */
  elementwiseAffine?: boolean;
  /** Learn `bias` when affine (default true). */
  bias?: boolean;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dimensions (torch.nn.LayerNorm).
 *
 * @example
 *   const norm = new LayerNorm(768, { eps: 1e-6 });   // tokens [N, L, 768]
 */
export class LayerNorm extends Module {
  /** Element-wise scale over `normalizedShape`; null without `elementwiseAffine`. */
  declare readonly weight: Tensor | null;
  /** Element-wise shift over `normalizedShape`; null without `elementwiseAffine` or `bias`. */
  declare readonly bias: Tensor | null;
  /** The trailing dimensions normalised together. */
  readonly normalizedShape: number[];
  /** Added to the variance for stability. */
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
