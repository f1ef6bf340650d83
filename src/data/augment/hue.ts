/**
 * Hue rotation of uint8 image batches through HSV, per image (torchvision's adjust_hue:
 * x / 255, RGB -> HSV, h = (h + factor) mod 1, back, x * 255 truncated to uint8), with
 * ATen ops over the whole batch in the same float32 steps.
 *
 * @example
 *   const y = adjustHue(batch, [0.1, -0.25]);   // factors in [-0.5, 0.5]
 */
import { aten } from '../../native/aten.js';
import { fromTypedArray, scope, stack, where, wrap, type Tensor } from '../../tensor/index.js';
import { checkImageBatch } from './lut.js';

const mod = (t: Tensor, m: number): Tensor => wrap(aten('remainder.Scalar').call(t.handle, m));

/**
 * Rotates each image's hue by its factor (in turns, -0.5..0.5).
 *
 * @example
 *   const y = adjustHue(batch, [0.1, -0.25]);
 */
export function adjustHue(x: Tensor, factors: readonly number[]): Tensor {
  checkImageBatch(x, 'adjustHue');
  const n = x.size(0);
  if (factors.length !== n) throw new RangeError(`adjustHue: ${n} images but ${factors.length} factors`);
  if (factors.some((f) => !(f >= -0.5 && f <= 0.5))) throw new RangeError(`adjustHue: factors must lie in [-0.5, 0.5], got [${factors}]`);
  if (x.size(1) === 1) return x.clone();
  return scope(() => {
    const img = x.float().div(255);
    const [r, g, b] = [0, 1, 2].map((c) => img.select(1, c)) as [Tensor, Tensor, Tensor];
    const maxc = img.max(1).values;
    const minc = img.min(1).values;
    const cr = maxc.sub(minc);
    const flat = maxc.eq(minc);
    const s = cr.div(where(flat, 1, maxc));
    const crd = where(flat, 1, cr);
    const rc = maxc.sub(r).div(crd);
    const gc = maxc.sub(g).div(crd);
    const bc = maxc.sub(b).div(crd);
    const isR = maxc.eq(r);
    const isG = maxc.eq(g).logicalAnd(isR.logicalNot());
    // Same association as torchvision ((2 + rc) - bc), so float32 rounding agrees.
    const h6 = where(isR, bc.sub(gc), where(isG, rc.add(2).sub(bc), gc.add(4).sub(rc)));
    // Hue in [0, 1): h6 / 6 wrapped, then shifted by the image's factor and wrapped again.
    const shift = fromTypedArray(Float64Array.from(factors), [n, 1, 1]).float();
    const h = mod(mod(h6.div(6).add(1), 1).add(shift), 1);
    const v = maxc;
    const hh = h.mul(6);
    const i = hh.floor();
    const f = hh.sub(i);
    const p = v.mul(s.neg().add(1)).clamp(0, 1);
    const q = v.mul(s.mul(f).neg().add(1)).clamp(0, 1);
    const t = v.mul(s.mul(f.neg().add(1)).neg().add(1)).clamp(0, 1);
    const sector = mod(i, 6);
    const pick = (vals: Tensor[]) => vals.reduceRight((acc, val, k) => where(sector.eq(k), val, acc));
    const rgb = stack([pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])], 1);
    return rgb.mul(255).to({ dtype: 'uint8' });
  });
}
