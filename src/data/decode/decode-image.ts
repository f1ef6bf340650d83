/**
 * Decoding any image file into 8-bit sRGB RGB with sharp (libvips): JPEG, PNG, WebP, TIFF,
 * GIF (first frame), AVIF/HEIF where the installed libvips has the codec. EXIF orientation
 * is applied; grayscale, CMYK, palette, 16-bit and alpha images all come out as three
 * 8-bit channels (alpha is composited onto `background`). A pixel limit, checked on the
 * header before any pixel is decoded, stops decompression bombs.
 *
 * Failures throw an `ImageDecodeError` with a machine-readable `reason`, so the loader can
 * skip the file, record why, and carry on.
 *
 * @example
 *   const img = await decodeImage('birds/0001.jpg');            // { data, width, height }
 *   const small = await decodeImage(bytes, { maxShortSide: 448 }); // shrink-on-load
 */
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { loadSharp } from './load-sharp.js';
import type { RgbImage } from '../image.js';
import type { SkipReason } from '../skip-report.js';

/** Options of `decodeImage`: limits, output size and leniency. */
export interface DecodeOptions {
  /**
   * Refuse images with more pixels than this (width x height from the header), default
   * 100 million. Guards against decompression bombs (a 50,000 x 50,000 PNG is 2.5 G).
   */
  maxPixels?: number;
  /**
   * Shrink (never enlarge) so the shorter side is at most this many pixels. libvips
   * decodes large JPEGs at 1/2, 1/4 or 1/8 scale directly (shrink-on-load), so a 12 MP
   * photo costs little more than a thumbnail; the antialiased resize also spares the
   * later bilinear crop from aliasing.
   */
  maxShortSide?: number;
  /** Colour that transparent pixels are composited onto, 0-255 RGB; default black. */
  background?: readonly [number, number, number];
  /** Accept truncated files (the missing part comes out grey) instead of failing. */
  allowTruncated?: boolean;
}

/**
 * A decode failure with its reason (for SkipReport) and the file it concerns.
 *
 * @example
 *   catch (e) { if (e instanceof ImageDecodeError) report.add(e.path, e.reason, e.message); }
 */
export class ImageDecodeError extends Error {
  /**
   * Why the file was refused ('missing', 'unreadable', 'not-an-image', 'truncated', 'too-large',
   * 'corrupt', ...), the key under which a `SkipReport` counts it.
   */
  readonly reason: SkipReason;
  /** The file (or a description of the bytes) that failed. */
  readonly path: string;
  constructor(path: string, reason: SkipReason, detail: string) {
    super(`${path}: ${reason} (${detail})`);
    this.name = 'ImageDecodeError';
    this.path = path;
    this.reason = reason;
  }
}

/**
 * `DecodeOptions.maxPixels` when none is given: 100 million pixels (a 10,000 x 10,000 image), well
 * above any photograph.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

function fileReason(code: string | undefined): SkipReason {
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' ? 'missing' : 'unreadable';
}

/** Maps libvips/sharp messages onto reasons; the message text is what sharp offers. */
function decodeReason(message: string): SkipReason {
  const m = message.toLowerCase();
  if (m.includes('pixel limit')) return 'too-large';
  if (m.includes('unsupported image format') || m.includes('not a known')) return 'not-an-image';
  if (m.includes('premature end') || m.includes('truncated') || m.includes('unexpected end') || m.includes('out of data') || m.includes('short read')) {
    return 'truncated';
  }
  return 'corrupt';
}

/**
 * Whether encoded bytes end before their format's end marker: a JPEG without its EOI
 * (FF D9) near the end, a PNG without its IEND chunk, a GIF without its trailer. libvips's
 * message for a cut file depends on where the cut falls (inside the entropy-coded data,
 * the Huffman tables, a PNG chunk), so the bytes decide, and the message only when the
 * format has no end marker.
 */
export function endsEarly(bytes: Uint8Array): boolean {
  const n = bytes.length;
  const tail = bytes.subarray(Math.max(0, n - 64));
  const has = (...marker: number[]) => {
    outer: for (let i = tail.length - marker.length; i >= 0; i--) {
      for (let j = 0; j < marker.length; j++) if (tail[i + j] !== marker[j]) continue outer;
      return true;
    }
    return false;
  };
  if (n >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return !has(0xff, 0xd9);
  if (n >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return !has(0x49, 0x45, 0x4e, 0x44);
  if (n >= 6 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return tail[tail.length - 1] !== 0x3b;
  return false;
}

/** The first and last bytes of a file, enough for `endsEarly` (null when unreadable). */
async function headAndTail(path: string): Promise<Uint8Array | null> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const { size } = await fh.stat();
    if (size <= 128) return new Uint8Array((await fh.read(Buffer.alloc(size), 0, size, 0)).buffer);
    const head = Buffer.alloc(8);
    const tail = Buffer.alloc(64);
    await fh.read(head, 0, 8, 0);
    await fh.read(tail, 0, 64, size - 64);
    // endsEarly reads the signature from the start and the marker from the last 64 bytes.
    return new Uint8Array(Buffer.concat([head, tail]));
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}

/**
 * Why a file could not be read, if the file system says so (missing, unreadable, empty);
 * null when the file looks readable and the decoder is to blame.
 */
async function fileProblem(path: string): Promise<[SkipReason, string] | null> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return ['unreadable', 'EISDIR'];
    if (!st.isFile()) return ['unreadable', 'not a regular file'];
    if (st.size === 0) return ['empty-file', '0 bytes'];
    await access(path, constants.R_OK);
    return null;
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException | null;
    return [fileReason(e?.code), e?.code ?? String(e)];
  }
}

/**
 * Decodes a file path or encoded bytes into an RGB image. `label` names the image in
 * errors when bytes are given. A path goes to libvips as is, so reading and decoding are
 * one job on libuv's pool: a loader can queue many and they proceed while the JS thread
 * is busy (a JS read-then-decode chain would need the JS thread between the two steps).
 *
 * @example
 *   const img = await decodeImage('bird.jpg', { maxShortSide: 448 });
 */
export async function decodeImage(source: string | Uint8Array, options: DecodeOptions = {}, label?: string): Promise<RgbImage> {
  const path = label ?? (typeof source === 'string' ? source : '<buffer>');
  if (typeof source !== 'string' && source.length === 0) throw new ImageDecodeError(path, 'empty-file', '0 bytes');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const [r, g, b] = options.background ?? [0, 0, 0];
  const sharp = await loadSharp();
  try {
    let pipeline = sharp(source, {
      limitInputPixels: maxPixels,
      failOn: options.allowTruncated ? 'none' : 'truncated',
      pages: 1,
      page: 0,
      autoOrient: true,
      sequentialRead: true,
    });
    if (options.maxShortSide) {
      const s = options.maxShortSide;
      pipeline = pipeline.resize({ width: s, height: s, fit: 'outside', withoutEnlargement: true });
    }
    const { data, info } = await pipeline
      .flatten({ background: { r, g, b } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion to sRGB, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException | null;
    const message = String(e?.message ?? e).split('\n')[0]!;
    const problem = typeof source === 'string' ? await fileProblem(source) : null;
    if (problem) throw new ImageDecodeError(path, problem[0], problem[1]);
    let reason = decodeReason(message);
    if (reason === 'corrupt') {
      const bytes = typeof source === 'string' ? await headAndTail(source) : source;
      if (bytes && endsEarly(bytes)) reason = 'truncated';
    }
    throw new ImageDecodeError(path, reason, message);
  }
}
