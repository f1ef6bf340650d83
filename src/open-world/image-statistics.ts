/**
 * Pixel statistics behind the photo-quality gate (quality.ts), each a plain function of a
 * one-channel float image so tests can check it by hand: luminance, an area-average resize,
 * the variance of the Laplacian and the blur effect (sharpness; blur-effect.ts), a robust noise
 * estimate, JPEG blockiness, pixelation (runs of repeated pixels) and percentiles of the brightest channel (exposure).
 *
 * @example
 *   const y = luminance({ data, width, height, channels: 3 });
 *   noiseSigma(y.map((v) => v * 255), width, height); // ≈ the noise's σ in 8-bit levels
 */

export { blurEffect } from './blur-effect.js';

/** Decoded pixels as sharp's raw output gives them: row-major, interleaved, 8-bit. */
export interface RawImage {
  /** width * height * channels bytes, row by row from the top, channels interleaved. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Channels per pixel: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
}

/** Throws a RangeError naming what is wrong when `image` is not a valid RawImage. */
export function checkRawImage(image: RawImage): void {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`assessQuality: invalid size ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(`assessQuality: ${channels} channels (expected 1 to 4)`);
  if (data.length !== width * height * channels)
    throw new RangeError(`assessQuality: ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
}

/** Luminance in [0, 1] per pixel (gray images are their own luminance; alpha is ignored). */
export function luminance(image: RawImage): Float32Array {
  checkRawImage(image);
  const { data, width, height, channels } = image;
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

/**
 * The noise's standard deviation, estimated as Immerkær (1996) does but with the median in
 * place of the mean: the mask [1 -2 1; -2 4 -2; 1 -2 1] cancels every linear ramp, and on white
 * Gaussian noise of σ its response has standard deviation 6σ (the squared coefficients sum to
 * 36). Edges and texture answer too, but on a minority of pixels; the median absolute response
 * (≈ 0.6745 × its σ on the noise) ignores them. In the image's units. `stride` 1 takes every pixel.
 */
export function noiseSigma(img: Float32Array, w: number, h: number, stride = 2): number {
  if (w < 3 || h < 3) return 0;
  // the mask at every `stride`-th pixel of every `stride`-th row: a quarter of the work at the
  // default, and still ~12,000 responses at 224 px for the median
  const r = new Float32Array(Math.ceil((w - 2) / stride) * Math.ceil((h - 2) / stride));
  let n = 0;
  for (let y = 1; y < h - 1; y += stride) {
    for (let x = 1; x < w - 1; x += stride) {
      const i = y * w + x;
      const v =
        img[i - w - 1]! -
        2 * img[i - w]! +
        img[i - w + 1]! -
        2 * img[i - 1]! +
        4 * img[i]! -
        2 * img[i + 1]! +
        img[i + w - 1]! -
        2 * img[i + w]! +
        img[i + w + 1]!;
      r[n++] = Math.abs(v);
    }
  }
  // the lower median (element ⌊(n − 1) / 2⌋ in order): a selection, not a sort — this runs on
  // every served photo, and sorting all its ~50,000 responses cost 7 ms
  return selectNth(r.subarray(0, n), (n - 1) >> 1) / (0.6745 * 6);
}

/** The k-th smallest of `a` (0-based), reordering `a` in place (Hoare's quickselect, middle pivot). */
export function selectNth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    // now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] equal the pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Mean absolute difference between neighbours along one axis, per line across it: for
 * `axis` 'x', entry x is the mean over rows of |img(x + 1, y) − img(x, y)| (length w − 1).
 */
export function differenceProfile(img: Float32Array, w: number, h: number, axis: 'x' | 'y'): Float64Array {
  const out = new Float64Array(axis === 'x' ? Math.max(0, w - 1) : Math.max(0, h - 1));
  if (axis === 'x') {
    for (let y = 0; y < h; y++) for (let x = 0; x < w - 1; x++) out[x]! += Math.abs(img[y * w + x + 1]! - img[y * w + x]!);
    for (let x = 0; x < out.length; x++) out[x]! /= h;
  } else {
    for (let y = 0; y < h - 1; y++) {
      let s = 0;
      for (let x = 0; x < w; x++) s += Math.abs(img[(y + 1) * w + x]! - img[y * w + x]!);
      out[y] = s / w;
    }
  }
  return out;
}

/**
 * JPEG blockiness: how much larger neighbour differences are across the 8 × 8 block grid than
 * inside the blocks. For each axis, the mean difference on the lines at one phase of 8 over
 * the mean on the other seven, at the phase where that ratio is largest (a cropped JPEG's grid
 * need not start at 0); the two axes averaged. ≈ 1 for an image without a grid; a heavily
 * compressed JPEG, decoded at its own size, reaches 2 and more.
 */
export function blockiness(img: Float32Array, w: number, h: number, block = 8): number {
  return blockinessOf(differenceProfile(img, w, h, 'x'), differenceProfile(img, w, h, 'y'), block);
}

/** blockiness from the two difference profiles (differenceProfile along x and along y). */
export function blockinessOf(px: Float64Array, py: Float64Array, block = 8): number {
  const axisRatio = (p: Float64Array): number => {
    if (p.length < 2 * block) return 1;
    let best = 0;
    for (let phase = 0; phase < block; phase++) {
      let on = 0;
      let nOn = 0;
      let off = 0;
      let nOff = 0;
      for (let i = 0; i < p.length; i++) {
        if (i % block === phase) {
          on += p[i]!;
          nOn++;
        } else {
          off += p[i]!;
          nOff++;
        }
      }
      const ratio = (on / nOn + 1e-3) / (off / nOff + 1e-3);
      if (ratio > best) best = ratio;
    }
    return best;
  };
  return (axisRatio(px) + axisRatio(py)) / 2;
}

/**
 * Pixelation: the fraction of columns (and of rows) across which the image does not change at
 * all — a picture enlarged by repeating pixels changes only at the edges of its enlarged
 * pixels. A column counts when its mean difference is under 2 % of the image's mean; the
 * smaller of the column and row fractions is returned, so a plain border (flat columns, but
 * not flat rows) does not count. 0 for a photo; 1 − 1/k for one enlarged k times.
 */
export function pixelation(img: Float32Array, w: number, h: number): number {
  return pixelationOf(differenceProfile(img, w, h, 'x'), differenceProfile(img, w, h, 'y'));
}

/** pixelation from the two difference profiles (differenceProfile along x and along y). */
export function pixelationOf(px: Float64Array, py: Float64Array): number {
  const flat = (p: Float64Array): number => {
    if (p.length === 0) return 0;
    let mean = 0;
    for (const v of p) mean += v;
    mean /= p.length;
    if (mean === 0) return 0;
    let n = 0;
    for (const v of p) if (v < 0.02 * mean) n++;
    return n / p.length;
  };
  return Math.min(flat(px), flat(py));
}

/**
 * Percentiles of the brightest channel (HSV value, 0–255 → [0, 1]) — where the shadows and the
 * highlights sit. Over-exposure lifts the darkest pixels (ImageNet-C's brightness adds to V, so
 * nothing stays below the amount added); under-exposure pulls the brightest ones down.
 * Returns the value at each fraction of `ps` (nearest rank).
 */
export function valuePercentiles(data: Uint8Array, channels: number, ps: readonly number[]): number[] {
  const hist = new Float64Array(256);
  const color = channels >= 3;
  for (let j = 0; j < data.length; j += channels) {
    const v = color ? Math.max(data[j]!, data[j + 1]!, data[j + 2]!) : data[j]!;
    hist[v]!++;
  }
  return histogramPercentiles(hist, ps);
}

/** Nearest-rank percentiles (levels / 255) of a 256-bin histogram of 8-bit levels. */
export function histogramPercentiles(hist: ArrayLike<number>, ps: readonly number[]): number[] {
  let n = 0;
  for (let v = 0; v < 256; v++) n += hist[v]!;
  return ps.map((p) => {
    const rank = Math.min(n - 1, Math.max(0, Math.floor(p * n)));
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc > rank) return v / 255;
    }
    return 1;
  });
}
