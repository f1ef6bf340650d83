import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessQuality, laplacianVariance, qualityMeasures, resizeGray, DEFAULT_QUALITY_THRESHOLDS } from '../../src/open-world/quality.js';
import { blockiness, blurEffect, noiseSigma, pixelation, selectNth, valuePercentiles } from '../../src/open-world/image-statistics.js';
import { corrupt, CORRUPTION_ISSUE, CORRUPTIONS } from '../../src/data/corruptions/index.js';
import { Rng } from '../../src/data/random.js';

function texture(w: number, h: number, f: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3 };
}

test('measures: luminance, clipped fractions, contrast by hand', () => {
  const img = texture(4, 2, (x) => (x < 2 ? [0, 0, 0] : [255, 255, 255]));
  const m = qualityMeasures(img);
  assert.ok(Math.abs(m.meanLuminance - 0.5) < 1e-6);
  assert.equal(m.darkFraction, 0.5);
  assert.equal(m.brightFraction, 0.5);
  assert.ok(Math.abs(m.contrast - 0.5) < 1e-6);
  assert.equal(m.width, 4);
  // one interior pixel: variance 0
  assert.equal(laplacianVariance(Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]), 3, 3), 0);
  // interior of [[0,0,0,0],[0,1,3,0],[0,0,0,0]]: Laplacians -1 and -11, variance 25
  assert.equal(laplacianVariance(Float32Array.from([0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0]), 4, 3), 25);
});

/**
 * A photo-like test image: smooth shading, hard-edged discs (one near-black, one near-white)
 * and a little sensor grain — sharp, well exposed, not noisy, no block grid.
 */
function photo(w = 256, h = 256, seed = 5) {
  const rng = new Rng(seed);
  const discs = Array.from({ length: 14 }, (_, i) => ({
    x: rng.next() * w,
    y: rng.next() * h,
    r: 8 + rng.next() * 40,
    c: i === 0 ? [4, 3, 2] : i === 1 ? [250, 248, 240] : [rng.next() * 255, rng.next() * 255, rng.next() * 255],
  }));
  return texture(w, h, (x, y) => {
    let c = [60 + (120 * y) / h, 90 + 40 * Math.sin(x / 23), 110 + 50 * Math.cos((x + y) / 31)];
    for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) c = d.c;
    const grain = (rng.next() - 0.5) * 6;
    return c.map((v) => Math.min(255, Math.max(0, Math.round(v + grain)))) as [number, number, number];
  });
}

test('a sharp, well-exposed photo passes; dark, bright, flat, blurred and tiny ones are flagged', () => {
  const good = photo();
  const r = assessQuality(good);
  assert.deepEqual(r.issues, [], JSON.stringify(r.measures));
  assert.equal(r.ok, true);
  const scaled = (k: number, add = 0) => ({ ...good, data: good.data.map((v) => Math.min(255, Math.max(0, v * k + add))) });
  assert.ok(assessQuality(scaled(0.12)).issues.includes('dark'));
  assert.ok(assessQuality(scaled(0.3, 200)).issues.includes('overexposed'));
  assert.ok(assessQuality(scaled(0.1, 110)).issues.includes('low_contrast'));
  const flat = texture(256, 256, (x) => [100 + (x >> 5), 100, 100]);
  assert.ok(assessQuality(flat).issues.includes('blurry'));
  const tiny = texture(32, 32, (x, y) => ((x + y) & 1 ? [200, 200, 200] : [40, 40, 40]));
  assert.ok(assessQuality(tiny).issues.includes('low_resolution'));
  // gray and RGBA inputs are read too
  const gray = { data: good.data.filter((_, i) => i % 3 === 0), width: 256, height: 256, channels: 1 };
  assert.equal(assessQuality(gray).ok, true, JSON.stringify(assessQuality(gray).measures));
  assert.throws(() => assessQuality({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }), /needs 12 bytes/);
  assert.ok(DEFAULT_QUALITY_THRESHOLDS.minSide > 0);
});

test('every corruption of the suite at severity 3 raises its own issue on the test photo; severity 1 of the mild ones does not', async () => {
  const good = photo(224, 224);
  for (const name of CORRUPTIONS) {
    const img = await corrupt(good, name, 3, { seed: 1, key: 'photo' });
    const r = assessQuality({ ...img, channels: 3 });
    assert.ok(r.issues.includes(CORRUPTION_ISSUE[name]), `${name} s3 -> [${r.issues}] ${JSON.stringify(r.measures)}`);
  }
  // a slight brightness lift or darkening is not yet a quality problem
  for (const name of ['brightness', 'dark'] as const) {
    const r = assessQuality({ ...(await corrupt(good, name, 1)), channels: 3 });
    assert.deepEqual(r.issues, [], `${name} s1: ${JSON.stringify(r.measures)}`);
  }
});

test('noiseSigma recovers the sigma of Gaussian noise on a smooth ramp, and ignores edges', () => {
  const rng = new Rng(3);
  const w = 200;
  const h = 150;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  for (const sigma of [2, 10]) {
    const img = Float32Array.from({ length: w * h }, (_, i) => 50 + 0.3 * (i % w) + 0.2 * Math.floor(i / w) + sigma * gauss());
    const est = noiseSigma(img, w, h);
    assert.ok(Math.abs(est - sigma) / sigma < 0.05, `sigma ${sigma}: estimated ${est}`);
  }
  // a noise-free image of hard vertical stripes (edges on a fifth of the columns): no noise
  const stripes = Float32Array.from({ length: w * h }, (_, i) => ((i % w) % 10 < 5 ? 20 : 200));
  assert.equal(noiseSigma(stripes, w, h), 0);
});

test('blurEffect: a step scores 1/11, a ramp k pixels wide k/11, along the worse direction (diagonals too)', () => {
  const w = 60;
  const h = 40;
  const ramp = (k: number) => Float32Array.from({ length: w * h }, (_, i) => Math.min(1, Math.max(0, ((i % w) - 30) / k)) * 100);
  assert.ok(Math.abs(blurEffect(ramp(1), w, h) - 1 / 11) < 1e-9, String(blurEffect(ramp(1), w, h)));
  assert.ok(Math.abs(blurEffect(ramp(5), w, h) - 5 / 11) < 1e-9, String(blurEffect(ramp(5), w, h)));
  // the same ramp turned 90 degrees: the other axis carries it
  const t = ramp(5);
  const turned = Float32Array.from({ length: w * h }, (_, i) => t[(i % h) * w + Math.floor(i / h)]!);
  assert.ok(Math.abs(blurEffect(turned, h, w) - 5 / 11) < 1e-9);
  assert.equal(blurEffect(new Float32Array(w * h).fill(7), w, h), 1);
  // random texture smeared along a diagonal (a 45-degree motion blur): along either axis its
  // neighbours still differ, only the diagonal sees the blur
  const rng = new Rng(21);
  const [tw, th] = [80, 80];
  const tex = Float32Array.from({ length: tw * th }, () => rng.next() * 255);
  const smeared = new Float32Array(tw * th);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (let t = -4; t <= 4; t++) s += tex[Math.min(th - 1, Math.max(0, y + t)) * tw + Math.min(tw - 1, Math.max(0, x + t))]!;
      smeared[y * tw + x] = s / 9;
    }
  // (measured: 0.09 sharp, 0.23 smeared; along the axes alone the smear reads as sharp as the texture)
  assert.ok(blurEffect(smeared, tw, th) > 2 * blurEffect(tex, tw, th), `${blurEffect(smeared, tw, th)} vs ${blurEffect(tex, tw, th)}`);
});

test('blockiness and pixelation: a block grid and repeated pixels are seen, a plain border is not', () => {
  const rng = new Rng(9);
  const w = 64;
  const h = 48;
  const cells = Array.from({ length: 64 }, () => rng.next() * 200);
  // flat 8 x 8 blocks (a JPEG at its worst): differences only across the grid
  const blocks = Float32Array.from({ length: w * h }, (_, i) => cells[(Math.floor(i / w) >> 3) * 8 + ((i % w) >> 3)]!);
  assert.ok(blockiness(blocks, w, h) > 100);
  const smooth = Float32Array.from({ length: w * h }, () => rng.next() * 200);
  assert.ok(Math.abs(blockiness(smooth, w, h) - 1) < 0.15, String(blockiness(smooth, w, h)));
  assert.equal(pixelation(smooth, w, h), 0);
  // each pixel of a 20 x 16 image repeated 3 x 3: 40 of the 59 column steps and 32 of the 47 row steps are flat
  const small = Array.from({ length: 20 * 16 }, () => rng.next() * 200);
  const big = Float32Array.from({ length: 60 * 48 }, (_, i) => small[Math.floor(Math.floor(i / 60) / 3) * 20 + Math.floor((i % 60) / 3)]!);
  assert.ok(Math.abs(pixelation(big, 60, 48) - Math.min(40 / 59, 32 / 47)) < 1e-12);
  // a photo with flat borders left and right: flat columns, but no flat rows
  const framed = Float32Array.from({ length: w * h }, (_, i) => (i % w < 10 || i % w >= 54 ? 0 : smooth[i]!));
  assert.equal(pixelation(framed, w, h), 0);
});

test('selectNth returns the k-th smallest, duplicates and all', () => {
  const rng = new Rng(11);
  for (const n of [1, 2, 7, 100, 1001]) {
    const v = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 20));
    const sorted = Float32Array.from(v).sort();
    for (const k of [0, n >> 1, n - 1]) assert.equal(selectNth(Float32Array.from(v), k), sorted[k], `n ${n} k ${k}`);
  }
});

test('valuePercentiles reads the brightest channel by nearest rank', () => {
  // V of the four pixels: 10, 200, 90, 255
  const data = Uint8Array.from([10, 0, 5, 0, 200, 3, 90, 90, 90, 255, 0, 0]);
  assert.deepEqual(valuePercentiles(data, 3, [0, 0.25, 0.5, 0.999]), [10 / 255, 90 / 255, 200 / 255, 1]);
  assert.deepEqual(valuePercentiles(Uint8Array.from([4, 8]), 1, [0, 0.5]), [4 / 255, 8 / 255]);
});

test('resizeGray: the two-pass area average equals the direct one (each output pixel the covered-area mean of its source)', () => {
  // The definition, written directly: every output pixel sums the source cells it overlaps,
  // each weighted by the overlapped area.
  const direct = (src: Float32Array, w: number, h: number, ow: number, oh: number) => {
    const out = new Float32Array(ow * oh);
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const [ya, yb, xa, xb] = [(y * h) / oh, ((y + 1) * h) / oh, (x * w) / ow, ((x + 1) * w) / ow];
        let sum = 0;
        let area = 0;
        for (let sy = Math.floor(ya); sy < Math.min(h, Math.ceil(yb)); sy++)
          for (let sx = Math.floor(xa); sx < Math.min(w, Math.ceil(xb)); sx++) {
            const a = (Math.min(yb, sy + 1) - Math.max(ya, sy)) * (Math.min(xb, sx + 1) - Math.max(xa, sx));
            sum += src[sy * w + sx]! * a;
            area += a;
          }
        out[y * ow + x] = sum / area;
      }
    return out;
  };
  for (const [w, h, ow, oh] of [
    [300, 256, 262, 224],
    [640, 480, 299, 224],
    [50, 300, 37, 224],
    [120, 300, 224, 150], // one side enlarged, the other shrunk: both by the area rule
    [7, 5, 3, 2],
  ] as const) {
    const src = Float32Array.from({ length: w * h }, (_, i) => ((i * 2654435761) % 1009) / 1009);
    const a = resizeGray(src, w, h, ow, oh);
    const b = direct(src, w, h, ow, oh);
    assert.equal(a.length, b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    assert.ok(worst < 1e-6, `${w}x${h} -> ${ow}x${oh}: differs by ${worst}`);
  }
});
