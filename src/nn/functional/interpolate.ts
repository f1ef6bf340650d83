/** Resizing feature maps and images (torch.nn.functional.interpolate), for 4-D [N, C, H, W] input. */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d } from './pooling.js';
import { pair, type Size2 } from './args.js';

/** How `interpolate` computes output pixels: nearest neighbour (two rounding conventions), bilinear, bicubic, or area averaging. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic' | 'area';

/** Options of `interpolate`: the output size (or scale) and the resampling. */
export interface InterpolateOptions {
  /** Output [H, W] (or one number for both); exactly one of size and scaleFactor. */
  size?: Size2;
  /** Multiplier of the input's H and W (one number or [sh, sw]); the output is floor(in * scale). */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest' (which matches OpenCV's INTER_NEAREST; 'nearest-exact' matches PIL). */
  mode?: InterpolateMode;
  /**
   * Linear modes only: align the centres of the corner pixels (true) or their outer corners
   * (false, the default). Setting it with a nearest or area mode is an error, as in PyTorch.
   */
  alignCorners?: boolean;
  /**
   * With scaleFactor: sample at the positions of the rounded output size rather than at the
   * given scale (PyTorch's `recompute_scale_factor`; default false).
   */
  recomputeScaleFactor?: boolean;
  /** Low-pass filter when downsampling, as PIL does ('bilinear' and 'bicubic' only). */
  antialias?: boolean;
}

/**
 * Resizes `input` [N, C, H, W] to `size` or by `scaleFactor`, with PyTorch's semantics.
 *
 * @example
 *   const up = interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false });
 *   const fixed = interpolate(img, { size: [448, 448], mode: 'bicubic', antialias: true });
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const { size, scaleFactor, mode = 'nearest', recomputeScaleFactor = false, antialias = false } = options;
  const linear = mode === 'bilinear' || mode === 'bicubic';
  if (!linear && mode !== 'nearest' && mode !== 'nearest-exact' && mode !== 'area') {
    throw new TypeError(`interpolate: mode must be one of nearest, nearest-exact, bilinear, bicubic, area; got '${mode as string}'`);
  }
  if (!linear && options.alignCorners !== undefined) {
    throw new Error('align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
  }
  if (input.ndim !== 4) throw new Error(`interpolate: expected a 4-D [N, C, H, W] input, got ${input.ndim}-D`);
  if (size !== undefined && scaleFactor !== undefined) throw new Error('only one of size or scale_factor should be defined');
  if (size === undefined && scaleFactor === undefined) throw new Error('either size or scale_factor should be defined');
  if (recomputeScaleFactor && size !== undefined) throw new Error('recompute_scale_factor is not meaningful with an explicit size.');
  if (antialias && !linear) throw new Error('Anti-alias option is only supported for bilinear and bicubic modes');

  let outSize: [number, number] | null = size === undefined ? null : pair(size, 'size');
  let scales: [number, number] | null =
    scaleFactor === undefined ? null : typeof scaleFactor === 'number' ? [scaleFactor, scaleFactor] : pair(scaleFactor as [number, number], 'scaleFactor');
  // 'area' is adaptive average pooling, which needs an explicit size; PyTorch recomputes it too.
  if (scales && (recomputeScaleFactor || mode === 'area')) {
    const [h, w] = input.shape.slice(2) as [number, number];
    outSize = [Math.floor(h * scales[0]), Math.floor(w * scales[1])];
    scales = null;
  }
  const alignCorners = options.alignCorners ?? false;
  switch (mode) {
    case 'nearest':
      return wrap(aten('upsample_nearest2d.vec').call(input.handle, outSize, scales));
    case 'nearest-exact':
      return wrap(aten('_upsample_nearest_exact2d.vec').call(input.handle, outSize, scales));
    case 'area':
      return adaptiveAvgPool2d(input, outSize!);
    case 'bilinear':
      return wrap(aten(antialias ? '_upsample_bilinear2d_aa.vec' : 'upsample_bilinear2d.vec').call(input.handle, outSize, alignCorners, scales));
    case 'bicubic':
      return wrap(aten(antialias ? '_upsample_bicubic2d_aa.vec' : 'upsample_bicubic2d.vec').call(input.handle, outSize, alignCorners, scales));
  }
}
