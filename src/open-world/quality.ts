/**
 * The photo-quality gate: cheap measures of exposure, contrast, sharpness, noise, compression
 * and resolution on the decoded pixels, and thresholds that flag a photo as dark, over-exposed,
 * blurry, low in contrast, noisy, spoilt by compression or of too low a resolution. The same
 * function serves `eval`'s quality report, the quality-gate benchmark and the `quality` answer
 * of `classify`. The pixel statistics themselves live in image-statistics.ts.
 *
 * Measures (luminance Y = 0.299 R + 0.587 G + 0.114 B, as PIL's "L" mode, scaled to [0, 1];
 * V = the brightest channel, HSV's value):
 * - meanLuminance: mean Y; contrast: standard deviation of Y (RMS contrast);
 * - darkFraction / brightFraction: fractions of pixels with Y <= 10/255 / Y >= 245/255 (clipped);
 * - shadowLevel / highlightLevel: V at the 0.1 % / 99.5 % percentile — where the darkest and the
 *   brightest pixels sit (over-exposure lifts the first, under-exposure pulls the second down);
 * - laplacianVariance (variance of the 4-neighbour Laplacian of Y·255), blurEffect (Crété-Roffet's
 *   re-blur measure, 0 sharp – 1 blurred, the worst of four directions, so motion blur counts) and noise (the
 *   noise's σ in 8-bit levels, a median form of Immerkær's estimator), all three taken after
 *   resizing the image (area-averaged) so its shorter side is QUALITY_SIDE px — a fixed size,
 *   so they do not depend on how large the upload is;
 * - blockiness (JPEG's 8 × 8 grid: differences across block edges over those inside, ≈ 1 when
 *   there is none) and pixelation (the fraction of columns and rows across which nothing
 *   changes: an image enlarged by repeating pixels), both on the image as given, where a
 *   compression grid or repeated pixels still line up;
 * - width, height: the image as given.
 *
 * @example
 *   const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
 *   assessQuality({ data, width: info.width, height: info.height, channels: info.channels });
 *   // { ok: false, issues: ['dark'], measures: { meanLuminance: 0.07, ... } }
 */

import {
  blockinessOf,
  blurEffect,
  checkRawImage,
  differenceProfile,
  laplacianVariance,
  luminance,
  noiseSigma,
  pixelationOf,
  histogramPercentiles,
  resizeGray,
  type RawImage,
} from './image-statistics.js';

export { laplacianVariance, luminance, resizeGray, type RawImage };

/** What can be wrong with a photo, as `assessQuality` names it. */
export type QualityIssue = 'dark' | 'overexposed' | 'blurry' | 'low_contrast' | 'noisy' | 'compression_artifacts' | 'low_resolution';

/** Every `QualityIssue`, in the order reports list them. */
export const QUALITY_ISSUES: readonly QualityIssue[] = ['dark', 'overexposed', 'blurry', 'low_contrast', 'noisy', 'compression_artifacts', 'low_resolution'];

/** A photo's quality measures (see the file comment for how each is computed). */
export interface QualityMeasures {
  /** Mean luminance Y, in [0, 1]. */
  meanLuminance: number;
  /** Fraction of pixels with Y <= 10/255 (clipped black). */
  darkFraction: number;
  /** Fraction of pixels with Y >= 245/255 (clipped white). */
  brightFraction: number;
  /** The brightest channel at the 0.1 % percentile, in [0, 1]: where the darkest pixels sit. */
  shadowLevel: number;
  /** The brightest channel at the 99.5 % percentile, in [0, 1]: where the brightest pixels sit. */
  highlightLevel: number;
  /** RMS contrast: the standard deviation of Y, in [0, 1]. */
  contrast: number;
  /** Variance of the Laplacian of Y·255 at a 224 px short side: low means blurred. */
  laplacianVariance: number;
  /** Crété-Roffet's blur effect at a 224 px short side, 0 sharp to 1 blurred. */
  blurEffect: number;
  /** Estimated noise σ in 8-bit levels at a 224 px short side. */
  noise: number;
  /** JPEG blockiness: differences across 8 × 8 block edges over those inside (≈ 1 without a grid). */
  blockiness: number;
  /** Fraction of columns and rows across which nothing changes (an image enlarged by repeating pixels). */
  pixelation: number;
  /** Width of the image as given, in pixels. */
  width: number;
  /** Height of the image as given, in pixels. */
  height: number;
}

/** A photo is flagged when a measure crosses its threshold (each rule below names its issue). */
export interface QualityThresholds {
  /** dark: meanLuminance below this. */
  minMeanLuminance: number;
  /** dark: also when even the brightest pixels (highlightLevel) stay below this. */
  minHighlightLevel: number;
  /** overexposed: meanLuminance above this. */
  maxMeanLuminance: number;
  /** overexposed: also when more than this fraction of pixels is clipped white. */
  maxBrightFraction: number;
  /**
   * overexposed: also when the darkest pixels (shadowLevel) are lifted above this while the
   * highlights reach HIGHLIGHT_CLIPPED — a washed-out photo; lifted shadows without bright
   * highlights are low contrast (haze), which the contrast rule judges.
   */
  maxShadowLevel: number;
  /** low_contrast: RMS contrast below this. */
  minContrast: number;
  /** blurry: Laplacian variance (at QUALITY_SIDE px) below this. */
  minLaplacianVariance: number;
  /** blurry: also when the blur effect (at QUALITY_SIDE px) is above this. */
  maxBlurEffect: number;
  /** noisy: the noise estimate (σ in 8-bit levels at QUALITY_SIDE px) above this. */
  maxNoise: number;
  /** compression_artifacts: blockiness above this. */
  maxBlockiness: number;
  /** low_resolution: pixelation above this. */
  maxPixelation: number;
  /** low_resolution: also when the shorter side is below this many pixels. */
  minSide: number;
}

/** Shorter side (px) the sharpness and noise measures are taken at. */
export const QUALITY_SIDE = 224;
/** highlightLevel at or above which lifted shadows mean over-exposure (see maxShadowLevel). */
export const HIGHLIGHT_CLIPPED = 0.95;
/** Clipping levels, on Y·255. */
const DARK_LEVEL = 10;
const BRIGHT_LEVEL = 245;
const SHADOW_PERCENTILE = 0.001;
const HIGHLIGHT_PERCENTILE = 0.995;

/**
 * Defaults fitted by bench/open-world's gate stage (README "Open world"; fitThresholds in
 * bench/open-world/stage-gate.ts) on 300 clean cub100 and cars33 test photos, each measured as
 * the corruption suite decodes it (224 × 224) and as `classify` judges it, and 200 of them
 * corrupted: every rule starts at the most extreme clean photo and a false-alarm budget (3 %
 * of the fitting photos) is spent, step by step, on the corruption detected worst. On 300
 * other photos: 2.3 % false alarms (4.7 % as served); severity >= 3 of every corruption in
 * the suite caught, motion blur the least (92.5 %). minSide is a convention (not fitted: the
 * suite corrupts at a fixed size).
 */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  minMeanLuminance: 0.099418,
  minHighlightLevel: 167 / 255, // levels are multiples of 1/255
  maxMeanLuminance: 0.76855,
  maxBrightFraction: 0.65392,
  maxShadowLevel: 62 / 255,
  minContrast: 0.098326,
  minLaplacianVariance: 12.854,
  maxBlurEffect: 0.5131,
  maxNoise: 3.2607,
  maxBlockiness: 1.4639,
  maxPixelation: 0.022422,
  minSide: 64,
};

/** What `assessQuality` says about a photo. */
export interface QualityReport {
  /** Whether no issue was found. */
  ok: boolean;
  /** The issues found, in `QUALITY_ISSUES` order. */
  issues: QualityIssue[];
  /** The measures the verdict was made from. */
  measures: QualityMeasures;
}

/** The quality measures of a decoded photo, without judging them (`assessQuality` judges). */
export function qualityMeasures(image: RawImage): QualityMeasures {
  checkRawImage(image);
  const { data, width, height, channels } = image;
  const n = width * height;
  // one pass over the bytes: Y·255 per pixel and its sums (this runs on every served photo)
  const y = new Float32Array(n);
  let sum = 0;
  let sq = 0;
  let dark = 0;
  let bright = 0;
  const gray = channels < 3;
  const valueHist = new Float64Array(256); // of the brightest channel, for shadowLevel / highlightLevel
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    let v: number;
    if (gray) {
      v = data[j]!;
      valueHist[v]!++;
    } else {
      const r = data[j]!;
      const g = data[j + 1]!;
      const b = data[j + 2]!;
      v = 0.299 * r + 0.587 * g + 0.114 * b;
      valueHist[r > g ? (r > b ? r : b) : g > b ? g : b]!++;
    }
    y[i] = v;
    sum += v;
    sq += v * v;
    if (v <= DARK_LEVEL) dark++;
    if (v >= BRIGHT_LEVEL) bright++;
  }
  const mean = sum / n / 255;
  const meanSq = sq / n / (255 * 255);
  const [shadowLevel, highlightLevel] = histogramPercentiles(valueHist, [SHADOW_PERCENTILE, HIGHLIGHT_PERCENTILE]);
  const scale = QUALITY_SIDE / Math.min(width, height);
  const ow = Math.max(1, Math.round(width * scale));
  const oh = Math.max(1, Math.round(height * scale));
  const small = ow === width && oh === height ? y : resizeGray(y, width, height, ow, oh);
  const px = differenceProfile(y, width, height, 'x');
  const py = differenceProfile(y, width, height, 'y');
  return {
    meanLuminance: mean,
    darkFraction: dark / n,
    brightFraction: bright / n,
    shadowLevel: shadowLevel!,
    highlightLevel: highlightLevel!,
    contrast: Math.sqrt(Math.max(0, meanSq - mean * mean)),
    laplacianVariance: laplacianVariance(small, ow, oh),
    blurEffect: blurEffect(small, ow, oh),
    noise: noiseSigma(small, ow, oh),
    blockiness: blockinessOf(px, py),
    pixelation: pixelationOf(px, py),
    width,
    height,
  };
}

/** The issues the measures show under `thresholds`. */
export function qualityIssues(m: QualityMeasures, t: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (m.meanLuminance < t.minMeanLuminance || m.highlightLevel < t.minHighlightLevel) issues.push('dark');
  const washedOut = m.shadowLevel > t.maxShadowLevel && m.highlightLevel >= HIGHLIGHT_CLIPPED;
  if (m.meanLuminance > t.maxMeanLuminance || m.brightFraction > t.maxBrightFraction || washedOut) issues.push('overexposed');
  if (m.laplacianVariance < t.minLaplacianVariance || m.blurEffect > t.maxBlurEffect) issues.push('blurry');
  if (m.contrast < t.minContrast) issues.push('low_contrast');
  if (m.noise > t.maxNoise) issues.push('noisy');
  if (m.blockiness > t.maxBlockiness) issues.push('compression_artifacts');
  if (m.pixelation > t.maxPixelation || Math.min(m.width, m.height) < t.minSide) issues.push('low_resolution');
  return issues;
}

/** image: decoded 8-bit RGB (or RGBA / gray) pixels, row-major interleaved, as sharp's raw output gives. */
export function assessQuality(image: RawImage, thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS): QualityReport {
  const measures = qualityMeasures(image);
  const issues = qualityIssues(measures, thresholds);
  return { ok: issues.length === 0, issues, measures };
}
