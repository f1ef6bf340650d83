/**
 * What `classify` and `verify` accept — a file path, the encoded bytes of an image, or
 * decoded pixels — decoded to 8-bit RGB at the size the model's preprocessing wants
 * (shrink-on-load, as `finegrain eval` decodes). Decoding runs on libuv's thread pool
 * (sharp), off the JavaScript thread. Failures are `ImageDecodeError`s with a reason.
 *
 * @example
 *   const img = await decodeInput(readFileSync('car.jpg'), spec);
 *   const same = await decodeInput({ data: rgba, width: 640, height: 480, channels: 4 }, spec);
 */
import { decodeImage, DEFAULT_MAX_PIXELS, ImageDecodeError, type DecodeOptions } from '../data/decode/decode-image.js';
import { loadSharp } from '../data/decode/load-sharp.js';
import type { RgbImage } from '../data/image.js';
import { decodeSide, resizeSide, type PreprocessConfig } from '../models/preprocess-config.js';
import { QUALITY_SIDE } from '../open-world/quality.js';

/** How to decode for this model: shrink-on-load as the evaluation loader decodes. */
export function decodeOptionsFor(p: PreprocessConfig, options: { maxPixels?: number } = {}): DecodeOptions {
  return { maxShortSide: decodeSide(Math.max(p.inputSize, resizeSide(p))), maxPixels: options.maxPixels };
}

/** Decoded pixels: row-major, interleaved, 1 (gray), 3 (RGB) or 4 (RGBA) 8-bit channels. */
export interface Pixels {
  /** The bytes, `width × height × channels` of them. */
  data: Uint8Array;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Channels per pixel: 1 (gray), 3 (RGB) or 4 (RGBA; alpha is dropped). */
  channels: 1 | 3 | 4;
}

/** A path, encoded image bytes (JPEG, PNG, WebP, ...), or decoded pixels. */
export type ClassifierInput = string | Uint8Array | Pixels;

export function isPixels(input: ClassifierInput): input is Pixels {
  return typeof input === 'object' && !(input instanceof Uint8Array) && 'data' in input;
}

/** Decodes any input for a model with preprocessing `spec`; `maxPixels` guards against decompression bombs. */
export async function decodeInput(input: ClassifierInput, spec: PreprocessConfig, options: { maxPixels?: number; label?: string } = {}): Promise<RgbImage> {
  const decode = decodeOptionsFor(spec, { maxPixels: options.maxPixels });
  if (!isPixels(input)) return decodeImage(input, decode, options.label);
  const { data, width, height, channels } = input;
  const label = options.label ?? '<pixels>';
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new ImageDecodeError(label, 'corrupt', `invalid size ${width}x${height}`);
  if (![1, 3, 4].includes(channels)) throw new ImageDecodeError(label, 'corrupt', `${channels} channels (expected 1, 3 or 4)`);
  if (data.length !== width * height * channels)
    throw new ImageDecodeError(label, 'corrupt', `${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  if (width * height > (options.maxPixels ?? DEFAULT_MAX_PIXELS)) throw new ImageDecodeError(label, 'too-large', `${width}x${height} exceeds the pixel limit`);
  // Through libvips like a file, so raw pixels get exactly the shrink a decoded file gets.
  const s = decode.maxShortSide!;
  const sharp = await loadSharp();
  const out = await sharp(data, { raw: { width, height, channels } })
    .resize({ width: s, height: s, fit: 'outside', withoutEnlargement: true })
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength), width: out.info.width, height: out.info.height };
}

/**
 * The photo for the quality checks, when the model's own decoded copy is too small for them:
 * the open-world measures look at the photo at QUALITY_SIDE px (sharpness) and at its size
 * (low resolution), so a copy shrunk to less than that (a 32-px model) would misjudge both.
 * Pixels are taken as given.
 */
export async function decodeForQuality(input: ClassifierInput, options: { maxPixels?: number; label?: string } = {}): Promise<Pixels> {
  if (isPixels(input)) return input;
  const img = await decodeImage(input, { maxShortSide: QUALITY_SIDE, maxPixels: options.maxPixels }, options.label);
  return { ...img, channels: 3 };
}
