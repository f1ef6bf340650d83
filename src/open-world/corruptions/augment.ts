/**
 * Corruption augmentation for training (the robustness option, `corruptionAugment` in the
 * train config / `--corruption-augment P`): each training image, with probability P, gets
 * one corruption of the suite (all but JPEG, which needs the async encoder) at a severity
 * drawn from 1–5, from its own seeded stream — so a resumed run sees the same images.
 * Hendrycks & Dietterich hold ImageNet-C's corruptions out of training; training on them
 * measures how much of the drop is recoverable, and the suite's test images stay unseen.
 *
 * @example
 *   compose([randomResizedCrop(224), randomHorizontalFlip(), corruptionAugment(0.5), normalize()]);
 */
import type { PixelTransform, SampleContext } from '../../data/transforms/transform.js';
import { fromTypedArray } from '../../tensor/creation.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { corruptSync, SYNC_CORRUPTIONS } from './index.js';

export function corruptionAugment(p: number): PixelTransform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`corruptionAugment: probability must be in [0, 1], got ${p}`);
  return {
    stage: 'pixel',
    name: `corruptionAugment(${p})`,
    apply(x: Tensor, ctxs: readonly SampleContext[]): Tensor {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      if (c !== 3) throw new RangeError(`corruptionAugment: 3 channels expected, got ${c}`);
      const hwc = scope(() => Uint8Array.from(x.permute(0, 2, 3, 1).contiguous().toTypedArray() as Uint8Array));
      const size = h * w * 3;
      for (let i = 0; i < n; i++) {
        const rng = ctxs[i]!.rng;
        if (!rng.bernoulli(p)) continue;
        const name = SYNC_CORRUPTIONS[rng.int(SYNC_CORRUPTIONS.length)]!;
        const severity = 1 + rng.int(5);
        const out = corruptSync({ data: hwc.subarray(i * size, (i + 1) * size), width: w, height: h }, name, severity, rng);
        hwc.set(out.data, i * size);
      }
      return scope(() => fromTypedArray(hwc, [n, h, w, 3]).permute(0, 3, 1, 2).contiguous());
    },
  };
}
