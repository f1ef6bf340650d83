/**
 * STAND-IN until branch `open-world` is merged (it owns this file and replaces it): the
 * interface of docs/interface-openworld, with simple measures so the serving code runs.
 * Photo quality from decoded pixels: luminance, clipped fractions, contrast, sharpness.
 *
 * @example
 *   assessQuality({ data, width, height, channels: 3 }).issues; // ['dark']
 */
export type QualityIssue = 'dark' | 'overexposed' | 'blurry' | 'low_contrast' | 'low_resolution';

export interface QualityMeasures {
  meanLuminance: number;
  darkFraction: number;
  brightFraction: number;
  contrast: number;
  laplacianVariance: number;
  width: number;
  height: number;
}

export interface QualityThresholds {
  darkMean: number;
  darkFraction: number;
  brightMean: number;
  brightFraction: number;
  minContrast: number;
  minLaplacianVariance: number;
  minSide: number;
}

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  darkMean: 0.15,
  darkFraction: 0.7,
  brightMean: 0.9,
  brightFraction: 0.6,
  minContrast: 0.05,
  minLaplacianVariance: 0.0005,
  minSide: 64,
};

export interface QualityReport {
  ok: boolean;
  issues: QualityIssue[];
  measures: QualityMeasures;
}

export function assessQuality(
  image: { data: Uint8Array; width: number; height: number; channels: number },
  thresholds: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
): QualityReport {
  const { data, width, height, channels } = image;
  const n = width * height;
  const lum = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    lum[p] = channels >= 3 ? (0.2126 * data[o]! + 0.7152 * data[o + 1]! + 0.0722 * data[o + 2]!) / 255 : data[o]! / 255;
  }
  let sum = 0;
  let sq = 0;
  let dark = 0;
  let bright = 0;
  for (const v of lum) {
    sum += v;
    sq += v * v;
    if (v < 0.1) dark++;
    if (v > 0.95) bright++;
  }
  const mean = sum / n;
  const contrast = Math.sqrt(Math.max(0, sq / n - mean * mean));
  let lap = 0;
  let lap2 = 0;
  let m = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = lum[i - 1]! + lum[i + 1]! + lum[i - width]! + lum[i + width]! - 4 * lum[i]!;
      lap += v;
      lap2 += v * v;
      m++;
    }
  }
  const laplacianVariance = m ? lap2 / m - (lap / m) ** 2 : 0;
  const measures: QualityMeasures = { meanLuminance: mean, darkFraction: dark / n, brightFraction: bright / n, contrast, laplacianVariance, width, height };
  const t = thresholds;
  const issues: QualityIssue[] = [];
  if (mean < t.darkMean || measures.darkFraction > t.darkFraction) issues.push('dark');
  if (mean > t.brightMean || measures.brightFraction > t.brightFraction) issues.push('overexposed');
  if (laplacianVariance < t.minLaplacianVariance) issues.push('blurry');
  if (contrast < t.minContrast) issues.push('low_contrast');
  if (Math.min(width, height) < t.minSide) issues.push('low_resolution');
  return { ok: issues.length === 0, issues, measures };
}
