/**
 * Multi-head self-attention (Vaswani et al., "Attention Is All You Need", NeurIPS 2017) with
 * torch.nn.MultiheadAttention's parameters and names (`in_proj_weight` [3D, D] holding the
 * query, key and value projections stacked, `in_proj_bias`, `out_proj`), for batch-first
 * token sequences [N, L, D], so torchvision's ViT checkpoints load unchanged.
 *
 * The input projection and the two attention matrix products count toward FLOPs
 * (torchvision's ViT GFLOPs include them).
 *
 * @example
 *   const attn = new MultiheadAttention(768, 12);
 *   const y = attn.forward(tokens);   // [N, L, 768]
 */
import { scope } from '../../tensor/scope.js';
import { empty } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { linear } from '../../nn/functional/linear.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { addFlops, flopsCounting } from '../../nn/flops.js';
import { xavierUniform_, zeros_ } from '../../nn/init.js';
import { attendHeads } from './attend.js';

/**
 * Multi-head self-attention with torch.nn.MultiheadAttention's parameters and names, for
 * batch-first token sequences [N, L, D].
 *
 * @example
 *   const attn = new MultiheadAttention(768, 12);   // tokens [N, L, 768] -> [N, L, 768]
 */
export class MultiheadAttention extends Module {
  /** The query, key and value projections stacked: [3·embedDim, embedDim]. */
  declare readonly in_proj_weight: Tensor;
  /** Their biases stacked: [3·embedDim]. */
  declare readonly in_proj_bias: Tensor;
  /** The output projection. */
  declare readonly out_proj: Linear;
  /** Width of the tokens. */
  readonly embedDim: number;
  /** Attention heads (each embedDim / numHeads wide). */
  readonly numHeads: number;
  /** Dropout on the attention weights while training. */
  readonly attentionDropout: number;

  constructor(embedDim: number, numHeads: number, options: { dropout?: number } = {}) {
    super();
    if (embedDim % numHeads) throw new RangeError(`MultiheadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.attentionDropout = options.dropout ?? 0;
    this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim]));
    this.registerParameter('in_proj_bias', empty([3 * embedDim]));
    this.registerModule('out_proj', new Linear(embedDim, embedDim));
    // PyTorch's _reset_parameters: Xavier-uniform projections, zero biases (out_proj's
    // weight keeps the default Linear initialisation).
    xavierUniform_(this.in_proj_weight);
    zeros_(this.in_proj_bias);
    zeros_(this.out_proj.bias!);
  }

  /** Self-attention of `x` [N, L, D] over its L tokens. */
  forward(x: Tensor): Tensor {
    return scope(() => {
      const [n, l, d] = x.shape as [number, number, number];
      // The input projection is a functional linear, not a Linear layer: count it here.
      if (flopsCounting()) addFlops(n * l * 3 * d * d);
      const qkv = linear(x, this.in_proj_weight, this.in_proj_bias);
      return this.out_proj.forward(attendHeads(qkv, this.numHeads, { dropout: this.attentionDropout, training: this.training }));
    });
  }
}
