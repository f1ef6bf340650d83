/**
 * A `View` says which part of a source image becomes the output image and at what size:
 * an axis-aligned box in source pixels, an output size, and flips. Resize, center/random
 * crop, RandomResizedCrop, box crops and flips only ever change a view, so a chain of them
 * costs one resampling pass at the end (`resampleBatch`) instead of one per step; it also
 * resamples once instead of twice, so `resize(256)` then `centerCrop(224)` is a little
 * sharper than torchvision's two-pass version (not bit-identical to it; single steps are).
 *
 * @example
 *   let v = identityView(500, 375);           // the whole image at its own size
 *   v = resizeView(v, 256, 341);              // output 256x341 (h x w), same box
 *   v = cropView(v, 16, 58, 224, 224);        // a window of that output
 */
export interface View {
  /** Left edge of the source box, in source pixels (fractional after composing resizes with crops). */
  readonly x: number;
  /** Top edge of the source box, in source pixels. */
  readonly y: number;
  /** Width of the source box, in source pixels. */
  readonly width: number;
  /** Height of the source box, in source pixels. */
  readonly height: number;
  /** Output width in pixels. */
  readonly outWidth: number;
  /** Output height in pixels. */
  readonly outHeight: number;
  /** Mirror the output left-right. */
  readonly flipX: boolean;
  /** Mirror the output top-bottom. */
  readonly flipY: boolean;
  /** The source image's width in pixels (with the height, the bounds for the resampler). */
  readonly sourceWidth: number;
  /** The source image's height in pixels. */
  readonly sourceHeight: number;
}

/**
 * The whole source image at its own size.
 *
 * @example
 *   identityView(500, 375); // the whole 500 x 375 image at its own size
 */
export function identityView(width: number, height: number): View {
  return { x: 0, y: 0, width, height, outWidth: width, outHeight: height, flipX: false, flipY: false, sourceWidth: width, sourceHeight: height };
}

/**
 * Scales the output to `outHeight x outWidth` (the box is unchanged).
 *
 * @example
 *   resizeView(identityView(500, 375), 224, 224);
 */
export function resizeView(v: View, outHeight: number, outWidth: number): View {
  checkSize(outHeight, outWidth);
  return { ...v, outWidth, outHeight };
}

/**
 * Keeps the window (top, left, height, width) of the current output, in output pixels
 * (fractions allowed), and makes it the new output at `outHeight x outWidth` (default: the
 * window's size). Windows reaching outside are allowed (the resampler clamps to the edge).
 *
 * @example
 *   windowView(v, 10.5, 20.25, 100, 100, 224, 224); // fractional window, scaled
 */
export function windowView(v: View, top: number, left: number, height: number, width: number, outHeight = height, outWidth = width): View {
  checkSize(outHeight, outWidth);
  if (!(height > 0 && width > 0)) throw new RangeError(`view: window must have a positive size, got ${height}x${width}`);
  const sx = v.width / v.outWidth;
  const sy = v.height / v.outHeight;
  // A flipped output counts its columns from the other side of the box.
  const fromLeft = v.flipX ? v.outWidth - left - width : left;
  const fromTop = v.flipY ? v.outHeight - top - height : top;
  return {
    ...v,
    x: v.x + fromLeft * sx,
    y: v.y + fromTop * sy,
    width: width * sx,
    height: height * sy,
    outWidth,
    outHeight,
  };
}

/**
 * Keeps the window (top, left, height, width) of the current output, in whole output pixels.
 *
 * @example
 *   cropView(identityView(500, 375), 0, 50, 375, 375); // a square crop
 */
export function cropView(v: View, top: number, left: number, height: number, width: number): View {
  return windowView(v, top, left, height, width);
}

/**
 * Mirrors the output horizontally (`vertical: true`: top-bottom).
 *
 * @example
 *   flipView(v); // mirrored left-right
 */
export function flipView(v: View, vertical = false): View {
  return vertical ? { ...v, flipY: !v.flipY } : { ...v, flipX: !v.flipX };
}

function checkSize(h: number, w: number): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new RangeError(`view: output size must be positive integers, got ${h}x${w}`);
}
