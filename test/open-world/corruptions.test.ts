import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromTypedArray, type Tensor } from '../../src/index.js';
import type { RgbImage } from '../../src/data/image.js';
import { Rng } from '../../src/data/random.js';
import { corrupt, CORRUPTIONS } from '../../src/open-world/corruptions/index.js';
import { defocusKernel, motionTaps, gaussianBlur, defocusBlur } from '../../src/open-world/corruptions/blur.js';
import { toFloat } from '../../src/open-world/corruptions/image-float.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';

function photo(w: number, h: number, seed: number): RgbImage {
  // smooth gradients plus texture, like a small photo
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(40 + (150 * (x + c * y)) / (w + h) + 60 * rng.next())));
  return { data, width: w, height: h };
}

const asTensor = (img: RgbImage): Tensor => fromTypedArray(img.data, [img.height, img.width, 3]);
const asFloatTensor = (f: Float32Array, img: RgbImage): Tensor => fromTypedArray(f, [img.height, img.width, 3]);

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('every corruption is deterministic under a seed, changes the image, keeps its size', async () => {
  const img = photo(48, 40, 1);
  for (const name of CORRUPTIONS) {
    for (const s of [1, 3, 5]) {
      const a = await corrupt(img, name, s, { seed: 3, key: 'x' });
      const b = await corrupt(img, name, s, { seed: 3, key: 'x' });
      assert.deepEqual(a.data, b.data, `${name} ${s}`);
      assert.equal(a.width, 48);
      assert.equal(a.height, 40);
      assert.ok(maxAbsDiff(a.data, img.data) > 0, `${name} ${s} changed nothing`);
    }
  }
  const n1 = await corrupt(img, 'gaussian_noise', 3, { seed: 1 });
  const n2 = await corrupt(img, 'gaussian_noise', 3, { seed: 2 });
  assert.notDeepEqual(n1.data, n2.data);
  await assert.rejects(corrupt(img, 'contrast', 6), /severity must be 1 to 5/);
});

test('severity grows: each level moves the image further from the original', async () => {
  const img = photo(64, 64, 2);
  for (const name of CORRUPTIONS) {
    const dist: number[] = [];
    for (const s of [1, 2, 3, 4, 5]) {
      const y = await corrupt(img, name, s, { seed: 0 });
      let d = 0;
      for (let i = 0; i < y.data.length; i++) d += Math.abs(y.data[i]! - img.data[i]!);
      dist.push(d);
    }
    assert.ok(dist[4]! > dist[0]!, `${name}: ${dist}`);
  }
});

test('gaussian noise has the paper standard deviation (0.18 at severity 3)', async () => {
  const flat: RgbImage = { data: new Uint8Array(100 * 100 * 3).fill(128), width: 100, height: 100 };
  const y = await corrupt(flat, 'gaussian_noise', 3, { seed: 9 });
  let s = 0;
  let sq = 0;
  for (const v of y.data) {
    const d = (v - 128) / 255;
    s += d;
    sq += d * d;
  }
  const n = y.data.length;
  const sd = Math.sqrt(sq / n - (s / n) ** 2);
  assert.ok(Math.abs(sd - 0.18) < 0.01, `sd ${sd}`);
});

test('the motion kernel is one-sided Gaussian taps along the direction', () => {
  const taps = motionTaps(10, 3, 0);
  assert.equal(taps.length, 21);
  assert.deepEqual(
    taps.slice(0, 3).map((t) => [t.dx, t.dy]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
    ],
  );
  assert.ok(Math.abs(taps.reduce((a, t) => a + t.w, 0) - 1) < 1e-12);
  assert.deepEqual(
    motionTaps(10, 3, 90)
      .slice(0, 2)
      .map((t) => [t.dx, t.dy]),
    [
      [0, 0],
      [0, 1],
    ],
  );
});

test('brightness, contrast, gaussian blur and defocus follow ImageNet-C formulas (numpy/PyTorch reference)', { skip: oracleSkip() }, async () => {
  const img = photo(40, 36, 4);
  const outs = torchOracle(
    `
    import numpy as np
    x = inputs['img'].numpy().astype(np.float64) / 255.
    # brightness, severity 3: HSV V + 0.3 (skimage's rgb2hsv/hsv2rgb written out)
    mx = x.max(2); mn = x.min(2); d = mx - mn
    h = np.zeros_like(mx)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    nz = d > 0
    hr = nz & (mx == r); hg = nz & (mx == g) & ~hr; hb = nz & ~hr & ~hg
    h[hr] = ((g - b)[hr] / d[hr]) % 6; h[hg] = ((b - r)[hg] / d[hg]) + 2; h[hb] = ((r - g)[hb] / d[hb]) + 4
    h = h / 6 % 1
    s = np.where(mx > 0, d / np.where(mx > 0, mx, 1), 0)
    v = np.clip(mx + 0.3, 0, 1)
    i = np.floor(h * 6); f = h * 6 - i; p = v * (1 - s); q = v * (1 - f * s); t = v * (1 - (1 - f) * s)
    i = i.astype(int) % 6
    rgb = np.stack([np.choose(i, [v, q, p, p, t, v]), np.choose(i, [t, v, v, q, p, p]), np.choose(i, [p, p, t, v, v, q])], 2)
    outputs['brightness'] = torch.from_numpy(np.clip(rgb, 0, 1))
    m = x.mean(axis=(0, 1), keepdims=True)
    outputs['contrast'] = torch.from_numpy(np.clip((x - m) * 0.2 + m, 0, 1))
    # gaussian blur sigma 3: truncate 4 sigma, edges repeated (scipy 'nearest')
    sig = 3; rad = int(4 * sig + 0.5)
    k = torch.exp(-torch.arange(-rad, rad + 1, dtype=torch.float64) ** 2 / (2 * sig * sig)); k = k / k.sum()
    t = torch.from_numpy(x).permute(2, 0, 1).unsqueeze(1)
    t = F.conv2d(F.pad(t, (rad, rad, 0, 0), mode='replicate'), k.view(1, 1, 1, -1))
    t = F.conv2d(F.pad(t, (0, 0, rad, rad), mode='replicate'), k.view(1, 1, -1, 1))
    outputs['gblur'] = t.squeeze(1).permute(1, 2, 0)
    # defocus severity 3: disk(6, 0.5) on a 17x17 grid, smoothed by a 3x3 Gaussian (reflect101), filter2D reflect101
    L = np.arange(-8, 9); X, Y = np.meshgrid(L, L)
    dk = ((X ** 2 + Y ** 2) <= 36).astype(np.float64); dk /= dk.sum()
    g = np.exp(-np.arange(-1, 2) ** 2 / (2 * 0.25)); g /= g.sum()
    dkp = np.pad(dk, 1, mode='reflect')
    dk = sum(g[a] * g[b] * dkp[a:a + 17, b:b + 17] for a in range(3) for b in range(3))
    outputs['dkernel'] = torch.from_numpy(dk)
    t = torch.from_numpy(x).permute(2, 0, 1).unsqueeze(1)
    t = F.conv2d(F.pad(t, (8, 8, 8, 8), mode='reflect'), torch.from_numpy(dk).view(1, 1, 17, 17))
    outputs['defocus'] = t.squeeze(1).permute(1, 2, 0)
    `,
    { img: asTensor(img) },
  );
  const check = async (name: 'brightness' | 'contrast', ref: Tensor) => {
    const y = await corrupt(img, name, 3);
    const r = ref.toTypedArray() as Float64Array;
    let m = 0;
    for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(y.data[i]! - Math.floor(r[i]! * 255 + 0.5)));
    assert.ok(m <= 1, `${name}: max diff ${m}`);
  };
  await check('brightness', outs.brightness!);
  await check('contrast', outs.contrast!);
  const f = toFloat(img);
  const closeF = (a: Float32Array, ref: Tensor, what: string) => {
    const r = ref.toTypedArray() as Float64Array;
    let m = 0;
    for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(a[i]! - r[i]!));
    assert.ok(m < 1e-5, `${what}: max diff ${m}`);
  };
  closeF(gaussianBlur(f, img.width, img.height, 3), outs.gblur!, 'gaussian blur');
  const { kernel } = defocusKernel(6, 0.5);
  closeF(Float32Array.from(kernel), outs.dkernel!, 'defocus kernel');
  closeF(defocusBlur(f, img.width, img.height, 3), outs.defocus!, 'defocus blur');
  void asFloatTensor;
});

test('pixelate equals PIL BOX resizing; JPEG is close to PIL at the same quality', { skip: oracleSkip() }, async () => {
  const img = photo(57, 43, 5);
  const outs = torchOracle(
    `
    import numpy as np
    from PIL import Image
    from io import BytesIO
    im = Image.fromarray(inputs['img'].numpy())
    for s, c in enumerate([0.6, 0.5, 0.4, 0.3, 0.25]):
        small = im.resize((int(57 * c), int(43 * c)), Image.BOX)
        outputs[f'pix{s + 1}'] = torch.from_numpy(np.array(small.resize((57, 43), Image.BOX)))
    buf = BytesIO(); im.save(buf, 'JPEG', quality=15)
    outputs['jpeg3'] = torch.from_numpy(np.array(Image.open(BytesIO(buf.getvalue())).convert('RGB')))
    `,
    { img: asTensor(img) },
  );
  for (let s = 1; s <= 5; s++) {
    const y = await corrupt(img, 'pixelate', s);
    assert.equal(maxAbsDiff(y.data, outs[`pix${s}`]!.toTypedArray() as Uint8Array), 0, `pixelate ${s}`);
  }
  const j = await corrupt(img, 'jpeg', 3);
  const ref = outs.jpeg3!.toTypedArray() as Uint8Array;
  let mad = 0;
  for (let i = 0; i < ref.length; i++) mad += Math.abs(j.data[i]! - ref[i]!);
  mad /= ref.length;
  assert.ok(mad < 3, `JPEG mean abs difference to PIL ${mad}`);
});
