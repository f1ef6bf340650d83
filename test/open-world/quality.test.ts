import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessQuality, laplacianVariance, qualityMeasures, resizeGray, DEFAULT_QUALITY_THRESHOLDS } from '../../src/open-world/quality.js';
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

test('a sharp, well-exposed texture passes; dark, bright, flat, blurred and tiny ones are flagged', () => {
  const rng = new Rng(5);
  const noise = Array.from({ length: 256 * 256 }, () => rng.next());
  const good = texture(256, 256, (x, y) => {
    const v = 60 + 130 * noise[y * 256 + x]!;
    return [v, v * 0.9, v * 0.8];
  });
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
  assert.equal(assessQuality(gray).ok, true);
  assert.throws(() => assessQuality({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }), /needs 12 bytes/);
  assert.ok(DEFAULT_QUALITY_THRESHOLDS.minSide > 0);
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
