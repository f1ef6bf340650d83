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
 * Defaults fitted by bench/open-world (README "Open world") on the corruption suite over 100
 * cub100 and cars33 test photos at 224 px: each rule sits 10 % beyond the most extreme of the
 * clean fitting photos. On 100 other clean photos they raise 5 % false alarms and catch
 * severity >= 3 of contrast (100 %), Gaussian and defocus blur (100 %), motion blur (84 %),
 * darkening (82 %) and brightness (37 %). minSide is a convention (not fitted: the suite
 * corrupts at a fixed size).
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  minMeanLuminance: 0.193,
  maxDarkFraction: 0.245,
  maxMeanLuminance: 0.79,
  maxBrightFraction: 0.227,
  minContrast: 0.109,
  minLaplacianVariance: 87.3,
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
  if (channels < 3) for (let i = 0, j = 0; i < n; i++, j += channels) y[i] = data[j]! / 255;
  else for (let i = 0, j = 0; i < n; i++, j += channels) y[i] = (0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!) / 255;
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
  // Each output pixel averages the source area it covers (fractional edges weighted). The
  // area weights are a product of an x and a y weight, so the average is taken in two
  // passes (rows, then columns) over precomputed spans: the same sums, a fraction of the work
  // (this runs on every served photo).
  const xs = areaSpans(w, ow);
  const ys = areaSpans(h, oh);
  const rows = new Float64Array(h * ow);
  for (let sy = 0; sy < h; sy++) {
    const row = sy * w;
    for (let x = 0; x < ow; x++) {
      let sum = 0;
      for (let k = xs.start[x]!; k < xs.start[x + 1]!; k++) sum += src[row + xs.index[k]!]! * xs.weight[k]!;
      rows[sy * ow + x] = sum;
    }
  }
  for (let y = 0; y < oh; y++) {
    const area = ys.total[y]!;
    for (let x = 0; x < ow; x++) {
      let sum = 0;
      for (let k = ys.start[y]!; k < ys.start[y + 1]!; k++) sum += rows[ys.index[k]! * ow + x]! * ys.weight[k]!;
      out[y * ow + x] = sum / (area * xs.total[x]!);
    }
  }
  return out;
}

/** For each of `m` output cells over `n` source cells: the source cells it covers and their covered fractions. */
function areaSpans(n: number, m: number): { start: Int32Array; index: Int32Array; weight: Float64Array; total: Float64Array } {
  const start = new Int32Array(m + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const total = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    const a = (o * n) / m;
    const b = ((o + 1) * n) / m;
    start[o] = index.length;
    for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
      const wgt = Math.min(b, i + 1) - Math.max(a, i);
      index.push(i);
      weight.push(wgt);
      total[o]! += wgt;
    }
  }
  start[m] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight), total };
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
