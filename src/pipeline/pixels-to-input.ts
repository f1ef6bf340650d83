/**
 * A model's evaluation preprocessing in plain JavaScript, without libtorch: decoded RGB pixels
 * → the float32 NCHW input of an exported model. The same geometry (resize the whole photo to
 * the input size when `cropFraction` is 1, else the short side to inputSize / cropFraction
 * and a centre crop), the same bilinear sample positions and weights, the same float32 blend
 * order and round-half-even to uint8, and the same float32 normalisation as `evalTransforms`
 * run by the native kernels (src/data/transforms/{geometry,view,resample,normalize}.ts and
 * native/src/image.cc) — so the result is bit-identical to `preprocessBatch`, which the tests
 * check.
 *
 * This file imports nothing: `finegrain serve --runtime onnx` uses it on the server, and the
 * web page loads the compiled file as an ES module (GET /web/lib/pixels-to-input.js) to
 * classify on the user's device exactly as the server prepares a photo it has decoded.
 *
 * @example
 *   const x = pixelsToInput([{ data, width, height }], { inputSize: 224, cropFraction: 1, mean, std }); // Float32Array [1, 3, 224, 224]
 */

/** 8-bit RGB, row-major, interleaved (3 bytes a pixel). */
export interface RgbPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** What the preprocessing needs of a model's config (a PreprocessConfig satisfies it). */
export interface InputSpec {
  inputSize: number;
  cropFraction: number;
  mean: readonly number[];
  std: readonly number[];
}

const f32 = Math.fround;

/** Python's round(): half to even (torchvision rounds crop offsets with it). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The source box [x, y, w, h] and output size of one image, as the eval view plan makes it. */
function viewOf(width: number, height: number, p: InputSpec): { x: number; y: number; w: number; h: number; out: number } {
  const s = p.inputSize;
  if (p.cropFraction >= 1) return { x: 0, y: 0, w: width, h: height, out: s };
  // resize(short side → side), truncating the long side, then the central s × s window.
  const side = Math.floor(s / p.cropFraction);
  const [rh, rw] = height <= width ? [side, Math.max(1, Math.trunc((side * width) / height))] : [Math.max(1, Math.trunc((side * height) / width)), side];
  const top = roundHalfEven((rh - s) / 2);
  const left = roundHalfEven((rw - s) / 2);
  const sx = width / rw;
  const sy = height / rh;
  return { x: left * sx, y: top * sy, w: s * sx, h: s * sy, out: s };
}

/** Source index pairs and weights along one axis (resample.ts's axisTable, no flips). */
function axisTable(start: number, len: number, outLen: number, srcLen: number): { idx: Int32Array; w: Float32Array } {
  const idx = new Int32Array(outLen * 2);
  const w = new Float32Array(outLen * 2);
  const integral = Number.isInteger(start) && Number.isInteger(len);
  const scale = integral ? f32(len / outLen) : len / outLen;
  const lo = Math.max(0, Math.min(srcLen - 1, start));
  const hi = Math.max(lo, Math.min(srcLen - 1, start + len - 1));
  const hiIndex = Math.floor(hi);
  for (let j = 0; j < outLen; j++) {
    let i0: number;
    let lambda: number;
    if (integral) {
      let u = f32(f32(scale * (j + 0.5)) - 0.5);
      if (u < 0) u = 0;
      const k = Math.floor(u);
      lambda = f32(u - k);
      i0 = start + k;
    } else {
      const g = Math.min(hi, Math.max(lo, start + scale * (j + 0.5) - 0.5));
      i0 = Math.floor(g);
      lambda = g - i0;
    }
    if (i0 < 0) [i0, lambda] = [0, 0];
    if (i0 >= hiIndex) [i0, lambda] = [hiIndex, 0];
    idx[j * 2] = i0;
    idx[j * 2 + 1] = i0 < hiIndex ? i0 + 1 : i0;
    w[j * 2] = f32(1 - lambda);
    w[j * 2 + 1] = lambda;
  }
  return { idx, w };
}

/** float32 → uint8 as the native kernel rounds: half to even, clamped to 0..255. */
function roundU8(v: number): number {
  const r = f32(f32(v + 8388608) - 8388608);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * Decoded images as the model's float32 input [N, 3, S, S] (S = `spec.inputSize`), in one
 * Float32Array. Images may differ in size.
 */
export function pixelsToInput(images: readonly RgbPixels[], spec: InputSpec): Float32Array {
  const s = spec.inputSize;
  if (!(Number.isInteger(s) && s >= 1)) throw new RangeError(`pixelsToInput: inputSize must be a positive integer, got ${s}`);
  if (spec.mean.length !== 3 || spec.std.length !== 3 || spec.std.some((v) => !(v > 0)))
    throw new RangeError('pixelsToInput: need 3 means and 3 positive stds');
  // Only 256 values per channel exist: the normalisation table, in float32 steps.
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = f32(f32(f32(v / 255) - f32(spec.mean[c]!)) / f32(spec.std[c]!));
  }
  const plane = s * s;
  const out = new Float32Array(images.length * 3 * plane);
  const ha = new Float32Array(3 * s);
  const hb = new Float32Array(3 * s);
  images.forEach((im, n) => {
    const { width, height, data } = im;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data.length !== width * height * 3)
      throw new RangeError(`pixelsToInput: image ${n} is not ${width}x${height} RGB (${data.length} bytes)`);
    const v = viewOf(width, height, spec);
    const rows = axisTable(v.y, v.h, v.out, height);
    const cols = axisTable(v.x, v.w, v.out, width);
    const horizontal = (y: number, h: Float32Array) => {
      const row = y * width * 3;
      for (let j = 0; j < s; j++) {
        const x0 = row + cols.idx[j * 2]! * 3;
        const x1 = row + cols.idx[j * 2 + 1]! * 3;
        const w0 = cols.w[j * 2]!;
        const w1 = cols.w[j * 2 + 1]!;
        for (let c = 0; c < 3; c++) h[c * s + j] = f32(f32(data[x0 + c]! * w0) + f32(data[x1 + c]! * w1));
      }
    };
    const base = n * 3 * plane;
    for (let i = 0; i < s; i++) {
      const y0 = rows.idx[i * 2]!;
      const y1 = rows.idx[i * 2 + 1]!;
      horizontal(y0, ha);
      if (y1 !== y0) horizontal(y1, hb);
      const h1 = y1 !== y0 ? hb : ha;
      const w0 = rows.w[i * 2]!;
      const w1 = rows.w[i * 2 + 1]!;
      for (let c = 0; c < 3; c++) {
        const o = base + c * plane + i * s;
        for (let j = 0; j < s; j++) out[o + j] = table[c * 256 + roundU8(f32(f32(ha[c * s + j]! * w0) + f32(h1[c * s + j]! * w1)))]!;
      }
    }
  });
  return out;
}
