/**
 * The photo-quality gate: cheap measures of exposure, contrast, sharpness and resolution on
 * the decoded pixels, and thresholds that flag a photo as dark, over-exposed, blurry, low in
 * contrast or too small. The same function serves `eval`'s quality report, the quality-gate
 * benchmark and the `quality` answer of `classify`.
 *
 * Measures (luminance Y = 0.299 R + 0.587 G + 0.114 B, as PIL's "L" mode, scaled to [0, 1]):
 * - meanLuminance: mean Y;
 * - darkFraction / brightFraction: fractions of pixels with Y <= 10/255 / Y >= 245/255 (clipped);
 * - contrast: standard deviation of Y (RMS contrast);
 * - laplacianVariance: variance of the 4-neighbour Laplacian of Y·255 after resizing the image
 *   (area-averaged) so its shorter side is QUALITY_SIDE px — a fixed size, so the measure does
 *   not depend on how large the upload is;
 * - width, height: the image as given.
 *
 * @example
 *   const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
 *   assessQuality({ data, width: info.width, height: info.height, channels: info.channels });
 *   // { ok: false, issues: ['dark'], measures: { meanLuminance: 0.07, ... } }
 */

export type QualityIssue = 'dark' | 'overexposed' | 'blurry' | 'low_contrast' | 'low_resolution';

export const QUALITY_ISSUES: readonly QualityIssue[] = ['dark', 'overexposed', 'blurry', 'low_contrast', 'low_resolution'];

export interface QualityMeasures {
  meanLuminance: number;
  darkFraction: number;
  brightFraction: number;
  contrast: number;
  laplacianVariance: number;
  width: number;
  height: number;
}

/** A photo is flagged when a measure crosses its threshold (each rule below names its issue). */
export interface QualityThresholds {
  /** dark: meanLuminance below this. */
  minMeanLuminance: number;
  /** dark: also when more than this fraction of pixels is clipped black. */
  maxDarkFraction: number;
  /** overexposed: meanLuminance above this. */
  maxMeanLuminance: number;
  /** overexposed: also when more than this fraction of pixels is clipped white. */
  maxBrightFraction: number;
  /** low_contrast: RMS contrast below this. */
  minContrast: number;
  /** blurry: Laplacian variance (at QUALITY_SIDE px) below this. */
  minLaplacianVariance: number;
  /** low_resolution: shorter side below this many pixels. */
  minSide: number;
}

/** Shorter side (px) the sharpness measure is taken at. */
export const QUALITY_SIDE = 224;
const DARK_LEVEL = 10 / 255;
const BRIGHT_LEVEL = 245 / 255;

/**
 * Defaults fitted by bench/open-world on the corruption suite over cub100 and cars33 test
 * photos (README "Open world"): each threshold passes >= 99 % of clean photos on its own.
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  minMeanLuminance: 0.12,
  maxDarkFraction: 0.5,
  maxMeanLuminance: 0.85,
  maxBrightFraction: 0.35,
  minContrast: 0.07,
  minLaplacianVariance: 40,
  minSide: 64,
};

export interface QualityReport {
  ok: boolean;
  issues: QualityIssue[];
  measures: QualityMeasures;
}

/** Decoded pixels as sharp's raw output gives them: row-major, interleaved, 8-bit. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Luminance in [0, 1] per pixel (gray images are their own luminance; alpha is ignored). */
export function luminance(image: RawImage): Float32Array {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`assessQuality: invalid size ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`assessQuality: ${channels} channels (expected 1 to 4)`);
  if (data.length !== width * height * channels)
    throw new RangeError(`assessQuality: ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  const n = width * height;
  const y = new Float32Array(n);
  if (channels < 3) for (let i = 0; i < n; i++) y[i] = data[i * channels]! / 255;
  else for (let i = 0; i < n; i++) y[i] = (0.299 * data[i * channels]! + 0.587 * data[i * channels + 1]! + 0.114 * data[i * channels + 2]!) / 255;
  return y;
}

/** Area-average resize of a one-channel image (bilinear when enlarging). */
export function resizeGray(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh);
  if (ow >= w && oh >= h) {
    for (let y = 0; y < oh; y++) {
      const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / oh - 0.5));
      const y0 = Math.floor(sy);
      const y1 = Math.min(h - 1, y0 + 1);
      const fy = sy - y0;
      for (let x = 0; x < ow; x++) {
        const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / ow - 0.5));
        const x0 = Math.floor(sx);
        const x1 = Math.min(w - 1, x0 + 1);
        const fx = sx - x0;
        const top = src[y0 * w + x0]! * (1 - fx) + src[y0 * w + x1]! * fx;
        const bot = src[y1 * w + x0]! * (1 - fx) + src[y1 * w + x1]! * fx;
        out[y * ow + x] = top * (1 - fy) + bot * fy;
      }
    }
    return out;
  }
  // Each output pixel averages the source area it covers (fractional edges weighted).
  for (let y = 0; y < oh; y++) {
    const ya = (y * h) / oh;
    const yb = ((y + 1) * h) / oh;
    for (let x = 0; x < ow; x++) {
      const xa = (x * w) / ow;
      const xb = ((x + 1) * w) / ow;
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(ya); sy < Math.min(h, Math.ceil(yb)); sy++) {
        const wy = Math.min(yb, sy + 1) - Math.max(ya, sy);
        for (let sx = Math.floor(xa); sx < Math.min(w, Math.ceil(xb)); sx++) {
          const wx = Math.min(xb, sx + 1) - Math.max(xa, sx);
          sum += src[sy * w + sx]! * wx * wy;
          area += wx * wy;
        }
      }
      out[y * ow + x] = sum / area;
    }
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian over the interior pixels (values as given). */
export function laplacianVariance(img: Float32Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = img[i - 1]! + img[i + 1]! + img[i - w]! + img[i + w]! - 4 * img[i]!;
      sum += l;
      sq += l * l;
      n++;
    }
  }
  const mean = sum / n;
  return sq / n - mean * mean;
}

export function qualityMeasures(image: RawImage): QualityMeasures {
  const y = luminance(image);
  const { width, height } = image;
  const n = y.length;
  let sum = 0;
  let sq = 0;
  let dark = 0;
  let bright = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    sum += v;
    sq += v * v;
    if (v <= DARK_LEVEL) dark++;
    if (v >= BRIGHT_LEVEL) bright++;
  }
  const mean = sum / n;
  const scale = QUALITY_SIDE / Math.min(width, height);
  const ow = Math.max(1, Math.round(width * scale));
  const oh = Math.max(1, Math.round(height * scale));
  const small = resizeGray(y, width, height, ow, oh);
  for (let i = 0; i < small.length; i++) small[i]! *= 255;
  return {
    meanLuminance: mean,
    darkFraction: dark / n,
    brightFraction: bright / n,
    contrast: Math.sqrt(Math.max(0, sq / n - mean * mean)),
    laplacianVariance: laplacianVariance(small, ow, oh),
    width,
    height,
  };
}

/** The issues the measures show under `thresholds`. */
export function qualityIssues(m: QualityMeasures, t: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (m.meanLuminance < t.minMeanLuminance || m.darkFraction > t.maxDarkFraction) issues.push('dark');
  if (m.meanLuminance > t.maxMeanLuminance || m.brightFraction > t.maxBrightFraction) issues.push('overexposed');
  if (m.laplacianVariance < t.minLaplacianVariance) issues.push('blurry');
  if (m.contrast < t.minContrast) issues.push('low_contrast');
  if (Math.min(m.width, m.height) < t.minSide) issues.push('low_resolution');
  return issues;
}

/** image: decoded 8-bit RGB (or RGBA / gray) pixels, row-major interleaved, as sharp's raw output gives. */
export function assessQuality(image: RawImage, thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS): QualityReport {
  const measures = qualityMeasures(image);
  const issues = qualityIssues(measures, thresholds);
  return { ok: issues.length === 0, issues, measures };
}
