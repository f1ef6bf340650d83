/**
 * A decoded image as the pipeline passes it around before batching: 8-bit sRGB, three
 * interleaved channels (HWC), row-major, no padding. sharp produces exactly this layout,
 * so decoding never copies pixels in JS.
 *
 * @example
 *   const img: RgbImage = { data: new Uint8Array(2 * 3 * 3), width: 3, height: 2 };
 */
export interface RgbImage {
  /** width * height * 3 bytes, R G B per pixel. */
  readonly data: Uint8Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/**
 * Checks the buffer length matches the declared size (a cheap guard before native copies).
 *
 * @example
 *   checkRgbImage({ data, width, height }); // throws on a size mismatch
 */
export function checkRgbImage(img: RgbImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new RangeError(`RgbImage: invalid size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`RgbImage: ${img.width}x${img.height}x3 needs ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  }
}
