/**
 * Spatial transformers: sampling grids from affine matrices and sampling an input at grid
 * points (torch.nn.functional.affine_grid / grid_sample). Grid coordinates are normalised to
 * [-1, 1], x (width) first.
 */
import { aten } from '../../native/aten.js';
import { isFloating } from '../../tensor/dtype.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

/** The corner convention of `affineGrid` (and `gridSample`): where the normalised coordinates -1 and 1 fall. */
export interface AlignCornersOption {
  /**
   * true: -1 and 1 are the centres of the corner pixels; false (default): their outer edges,
   * which makes the result independent of the resolution.
   */
  alignCorners?: boolean;
}

/**
 * The sampling grid [N, H, W, 2] of the 2-D affine maps `theta` [N, 2, 3] for an output of
 * `size` [N, C, H, W].
 *
 * @example
 *   const grid = affineGrid(theta, [n, c, 224, 224]);
 *   const warped = gridSample(images, grid);
 */
export function affineGrid(theta: Tensor, size: readonly number[], options: AlignCornersOption = {}): Tensor {
  if (!isFloating(theta.dtype)) throw new Error(`Expected theta to have floating point type, but got ${theta.dtype}`);
  if (size.length !== 4) throw new Error(`affineGrid: finegrain supports 4-D sizes [N, C, H, W] (2-D transforms), got [${size.join(', ')}]`);
  const s = theta.shape;
  if (s.length !== 3 || s[1] !== 2 || s[2] !== 3)
    throw new Error(`Expected a batch of 2D affine matrices of shape Nx2x3 for size [${size.join(', ')}]. Got [${s.join(', ')}].`);
  const alignCorners = options.alignCorners ?? false;
  // PyTorch tolerates unit-size grids with alignCorners (with a warning); otherwise sizes must be positive.
  if (!(alignCorners && Math.min(size[2]!, size[3]!) === 1) && Math.min(...size) <= 0) {
    throw new Error(`Expected non-zero, positive output size. Got [${size.join(', ')}]`);
  }
  return wrap(aten('affine_grid_generator').call(theta.handle, [...size], alignCorners));
}

/** Options of `gridSample`. */
export interface GridSampleOptions extends AlignCornersOption {
  /** Interpolation (default 'bilinear'). */
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  /** Values outside the input: 'zeros' (default), 'border' (clamp to the edge), 'reflection'. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
}

const MODES = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const PADDINGS = { zeros: 0, border: 1, reflection: 2 } as const;

/**
 * Samples `input` [N, C, H_in, W_in] at the normalised points `grid` [N, H, W, 2] (x, y in
 * [-1, 1]), giving [N, C, H, W]. Differentiable in both the input and the grid.
 *
 * @example
 *   const y = gridSample(x, grid, { mode: 'bilinear', paddingMode: 'border', alignCorners: true });
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const { mode = 'bilinear', paddingMode = 'zeros', alignCorners = false } = options;
  if (!Object.hasOwn(MODES, mode)) throw new TypeError(`gridSample: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${mode as string}'`);
  if (!Object.hasOwn(PADDINGS, paddingMode))
    throw new TypeError(`gridSample: expected paddingMode to be 'zeros', 'border', or 'reflection', but got: '${paddingMode as string}'`);
  return wrap(aten('grid_sampler').call(input.handle, grid.handle, MODES[mode], PADDINGS[paddingMode], alignCorners));
}
