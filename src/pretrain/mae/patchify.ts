/**
 * Images to patches and back, in the MAE reference's layout (`patchify`/`unpatchify` of
 * models_mae.py): an image [N, 3, H, W] becomes [N, (H/p)·(W/p), p·p·3], patches in row-major
 * order (the order the patch embedding's tokens have), each patch's values ordered row, column,
 * channel — the layout of the decoder's output and of the loss target.
 *
 * @example
 *   const target = patchify(images, 16);            // [N, 196, 768] for 224-px images
 *   const pictures = unpatchify(pred, 16, 14);       // back to [N, 3, 224, 224]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * [N, 3, H, W] → [N, (H/p)·(W/p), p²·3] (square images whose side `p` divides).
 *
 * @example
 *   patchify(randn([2, 3, 32, 32]), 8).shape;   // [2, 16, 192]
 */
export function patchify(images: Tensor, patchSize: number): Tensor {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (h !== w || h % patchSize) throw new RangeError(`patchify: expected square images whose side divides by ${patchSize}, got ${h}x${w}`);
  const g = h / patchSize;
  // nchpwq -> nhwpqc, as the reference's einsum.
  return scope(() =>
    images
      .reshape(n, c, g, patchSize, g, patchSize)
      .permute(0, 2, 4, 3, 5, 1)
      .reshape(n, g * g, patchSize * patchSize * c),
  );
}

/**
 * The inverse of `patchify`: [N, g², p²·3] → [N, 3, g·p, g·p].
 *
 * @example
 *   unpatchify(patchify(x, 8), 8, 4);   // equals x for 32-px images
 */
export function unpatchify(patches: Tensor, patchSize: number, gridSize: number): Tensor {
  const [n, l, d] = patches.shape as [number, number, number];
  const c = d / (patchSize * patchSize);
  if (l !== gridSize * gridSize || !Number.isInteger(c))
    throw new RangeError(`unpatchify: [${n}, ${l}, ${d}] is not ${gridSize}² patches of ${patchSize}²·C values`);
  return scope(() =>
    patches
      .reshape(n, gridSize, gridSize, patchSize, patchSize, c)
      .permute(0, 5, 1, 3, 2, 4)
      .reshape(n, c, gridSize * patchSize, gridSize * patchSize),
  );
}
