/**
 * The core both ViT attention layers share (torchvision's `MultiheadAttention` and timm's
 * `Attention`): from the stacked query/key/value projections [N, L, 3D], split into heads,
 * softmax(q·kᵀ / √hd)·v per head, heads joined back to [N, L, D]. The two layers differ only in
 * where the projection's weights live (one matrix `in_proj_weight`, or a Linear `qkv`).
 *
 * The two matrix products count toward FLOPs here; the projections count where they are made.
 *
 * @example
 *   const context = attendHeads(qkv.forward(x), 12);   // [N, L, 768] before the output projection
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { softmax } from '../../nn/functional/activation.js';
import { dropout } from '../../nn/functional/dropout.js';
import { addFlops, flopsCounting } from '../../nn/flops.js';

/**
 * Multi-head scaled dot-product self-attention of `qkv` [N, L, 3D] (query, key and value
 * stacked on the last dimension), with optional dropout on the attention weights.
 *
 * @example
 *   attendHeads(qkv, 3, { dropout: 0.1, training: true });
 */
export function attendHeads(qkv: Tensor, numHeads: number, options: { dropout?: number; training?: boolean } = {}): Tensor {
  return scope(() => {
    const [n, l, d3] = qkv.shape as [number, number, number];
    const d = d3 / 3;
    const hd = d / numHeads;
    // [N, L, 3D] → [3, N, H, L, hd]: query, key and value per head.
    const heads = qkv.view(n, l, 3, numHeads, hd).permute(2, 0, 3, 1, 4);
    const q = heads.select(0, 0).mul(hd ** -0.5);
    let weights = softmax(q.matmul(heads.select(0, 1).transpose(-2, -1)), -1);
    const p = options.dropout ?? 0;
    if (options.training && p > 0) weights = dropout(weights, { p, training: true });
    if (flopsCounting()) addFlops(2 * n * numHeads * l * l * hd);
    return weights.matmul(heads.select(0, 2)).transpose(1, 2).reshape(n, l, d);
  });
}
