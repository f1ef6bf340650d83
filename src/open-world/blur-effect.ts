/**
 * The blur effect (Crété-Roffet et al. 2007) in four directions — the quality gate's measure of
 * blur that a Laplacian misses when a photo is smeared along one direction (motion blur). Part
 * of the pixel statistics of image-statistics.ts, which re-exports it.
 *
 * @example
 *   blurEffect(gray224, 224, 224); // ≈ 0.3 for a sharp photo, 0.6+ when blurred
 */

/**
 * The "blur effect" of Crété-Roffet, Dolmiere, Ladret and Nicolas (2007): blur the image again
 * along one direction (a box of `size` taps, shortened at the borders) and measure how much of
 * the neighbour differences the re-blurring removes. A sharp image loses most of them, a
 * blurred one little: per direction 1 − Σ max(0, |ΔF| − |ΔB|) / Σ |ΔF|, the largest over four
 * directions (the two axes, as the paper, and the two diagonals, so a motion blur at any angle
 * is within 22.5° of one of them and counts nearly fully). In [0, 1]; a ramp k ≤ `size` pixels
 * wide scores k / size, a clean step 1 / size. A direction along which nothing changes is left
 * out (a flat image scores 1). Every `lineStep`-th line is read, by default every other one:
 * the same ratio on a sample of the lines, at half the cost.
 */
export function blurEffect(img: Float32Array, w: number, h: number, size = 11, lineStep = 2): number {
  const r = size >> 1;
  let worst = -1;
  // along x: each row's running box from its prefix sums
  if (w >= 2) {
    const prefix = new Float64Array(w + 1);
    const blurred = new Float64Array(w);
    let sumF = 0;
    let kept = 0;
    for (let y = 0; y < h; y += lineStep) {
      const row = y * w;
      for (let x = 0; x < w; x++) prefix[x + 1] = prefix[x]! + img[row + x]!;
      for (let x = 0; x < w; x++) {
        const a = Math.max(0, x - r);
        const b = Math.min(w, x + r + 1);
        blurred[x] = (prefix[b]! - prefix[a]!) / (b - a);
      }
      for (let x = 1; x < w; x++) {
        const dF = Math.abs(img[row + x]! - img[row + x - 1]!);
        const dB = Math.abs(blurred[x]! - blurred[x - 1]!);
        sumF += dF;
        if (dF > dB) kept += dF - dB;
      }
    }
    if (sumF > 0) worst = Math.max(worst, 1 - kept / sumF);
  }
  // along y: the same box, as running column sums moved down a row at a time (reads stay
  // row-major: walking down the columns one by one took twice as long)
  if (h >= 2) {
    const sum = new Float64Array(w);
    let prev = new Float64Array(w);
    let cur = new Float64Array(w);
    for (let y = 0; y <= Math.min(r, h - 1); y++) for (let x = 0; x < w; x++) sum[x]! += img[y * w + x]!;
    let sumF = 0;
    let kept = 0;
    for (let y = 0; y < h; y++) {
      // sum holds rows max(0, y − r) .. min(h − 1, y + r)
      const count = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
      for (let x = 0; x < w; x++) cur[x] = sum[x]! / count;
      if (y > 0) {
        for (let x = 0; x < w; x += lineStep) {
          const dF = Math.abs(img[y * w + x]! - img[(y - 1) * w + x]!);
          const dB = Math.abs(cur[x]! - prev[x]!);
          sumF += dF;
          if (dF > dB) kept += dF - dB;
        }
      }
      const enter = y + r + 1;
      const leave = y - r;
      if (enter < h) for (let x = 0; x < w; x++) sum[x]! += img[enter * w + x]!;
      if (leave >= 0) for (let x = 0; x < w; x++) sum[x]! -= img[leave * w + x]!;
      [prev, cur] = [cur, prev];
    }
    if (sumF > 0) worst = Math.max(worst, 1 - kept / sumF);
  }
  // along the two diagonals: prefix sums along each diagonal, read row by row
  if (w >= 2 && h >= 2) for (const dx of [1, -1] as const) worst = Math.max(worst, diagonalBlurEffect(img, w, h, r, lineStep, dx));
  return worst < 0 ? 1 : worst;
}

/** blurEffect's ratio along the diagonal (dx 1: down-right) or the anti-diagonal (dx −1); −1 when nothing changes along it. */
function diagonalBlurEffect(img: Float32Array, w: number, h: number, r: number, lineStep: number, dx: 1 | -1): number {
  // P(y, x) = img(y, x) + P(y − 1, x − dx): sums along each diagonal from its top end
  const P = new Float64Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const px = x - dx;
      P[y * w + x] = img[y * w + x]! + (y > 0 && px >= 0 && px < w ? P[(y - 1) * w + px]! : 0);
    }
  // the box mean along the diagonal through each pixel of rows y − 1 and y (taps that would
  // leave the image are dropped), then the differences between the two rows
  const rowMeans = (y: number, out: Float64Array): void => {
    const up = Math.min(r, y);
    const down = Math.min(r, h - 1 - y);
    for (let x = 0; x < w; x++) {
      const left = dx > 0 ? x : w - 1 - x; // room behind along the diagonal, in columns
      const right = w - 1 - left; // room ahead
      const back = up < left ? up : left;
      const fwd = down < right ? down : right;
      const end = (y + fwd) * w + x + fwd * dx;
      const by = y - back - 1;
      const bx = x - (back + 1) * dx;
      const before = by >= 0 && bx >= 0 && bx < w ? P[by * w + bx]! : 0;
      out[x] = (P[end]! - before) / (back + fwd + 1);
    }
  };
  const prev = new Float64Array(w);
  const cur = new Float64Array(w);
  let sumF = 0;
  let kept = 0;
  for (let y = 1; y < h; y += lineStep) {
    rowMeans(y - 1, prev);
    rowMeans(y, cur);
    const x0 = dx > 0 ? 1 : 0;
    const x1 = dx > 0 ? w : w - 1;
    for (let x = x0; x < x1; x++) {
      const dF = Math.abs(img[y * w + x]! - img[(y - 1) * w + x - dx]!);
      const dB = Math.abs(cur[x]! - prev[x - dx]!);
      sumF += dF;
      if (dF > dB) kept += dF - dB;
    }
  }
  return sumF > 0 ? 1 - kept / sumF : -1;
}
