/**
 * A pipeline of transforms applied to a batch of decoded images: view transforms plan
 * each image's geometry, one resampling pass makes the uint8 batch, pixel transforms
 * augment it, normalisation makes it float, float transforms finish it. Stages must come
 * in that order (a colour op cannot follow normalisation), which `compose` checks.
 *
 * @example
 *   const train = compose([randomResizedCrop(224), randomHorizontalFlip(), autoAugment('imagenet'), normalize()]);
 *   const x = train.run(images, images.map((_, i) => ({ rng: Rng.derive(seed, 'sample', epoch, i) })));
 */
import { scope, type Tensor } from '../../tensor/index.js';
import type { RgbImage } from '../image.js';
import { normalizeBatch } from './normalize.js';
import { resampleBatch } from './resample.js';
import type { FloatTransform, NormalizeTransform, PixelTransform, SampleContext, Transform, ViewTransform } from './transform.js';
import { identityView, type View } from './view.js';

const ORDER = { view: 0, pixel: 1, normalize: 2, float: 3 } as const;

/**
 * A checked sequence of transforms that turns decoded images into a batch tensor.
 *
 * @example
 *   const x = compose([resize(256), centerCrop(224), normalize()]).run(images, contexts);
 */
export class Pipeline {
  /** The view transforms, in order. */
  readonly views: readonly ViewTransform[];
  /** The pixel transforms, in order. */
  readonly pixels: readonly PixelTransform[];
  /** The normalisation, or null when the pipeline delivers uint8 batches. */
  readonly norm: NormalizeTransform | null;
  /** The float transforms, in order. */
  readonly floats: readonly FloatTransform[];

  /**
   * A pipeline of `transforms` (what `compose(transforms)` returns).
   * @param transforms The transforms in the order they run. Throws a TypeError when a stage comes after a later one, normalize appears twice, or a float transform has no normalize before it.
   */
  constructor(readonly transforms: readonly Transform[]) {
    let last = 0;
    for (const t of transforms) {
      if (ORDER[t.stage] < last) throw new TypeError(`compose: ${t.name} (${t.stage}) cannot come after a ${Object.keys(ORDER)[last]} transform`);
      last = ORDER[t.stage];
    }
    const norms = transforms.filter((t): t is NormalizeTransform => t.stage === 'normalize');
    if (norms.length > 1) throw new TypeError('compose: normalize appears twice');
    const floats = transforms.filter((t): t is FloatTransform => t.stage === 'float');
    if (floats.length && !norms.length) throw new TypeError(`compose: ${floats[0]!.name} works on normalized float batches; add normalize() before it`);
    this.views = transforms.filter((t): t is ViewTransform => t.stage === 'view');
    this.pixels = transforms.filter((t): t is PixelTransform => t.stage === 'pixel');
    this.norm = norms[0] ?? null;
    this.floats = floats;
  }

  /** Each image's view after the view transforms (draws from the contexts' rngs). */
  plan(images: readonly RgbImage[], ctxs: readonly SampleContext[]): View[] {
    return images.map((im, i) => this.views.reduce((v, t) => t.plan(v, ctxs[i]!), identityView(im.width, im.height)));
  }

  /**
   * The batch: float32 [N, 3, H, W] if the pipeline normalizes, else uint8. The caller
   * owns the result. All views must end at one size (end with a crop or a fixed resize).
   */
  run(images: readonly RgbImage[], ctxs: readonly SampleContext[]): Tensor {
    if (images.length !== ctxs.length) throw new RangeError(`Pipeline.run: ${images.length} images but ${ctxs.length} contexts`);
    const views = this.plan(images, ctxs);
    const size = `${views[0]?.outHeight}x${views[0]?.outWidth}`;
    const bad = views.findIndex((v) => `${v.outHeight}x${v.outWidth}` !== size);
    if (bad >= 0) {
      throw new RangeError(
        `Pipeline.run: image ${bad} comes out ${views[bad]!.outHeight}x${views[bad]!.outWidth}, image 0 ${size}; end the pipeline with a crop or a fixed-size resize to batch them`,
      );
    }
    return scope(() => {
      let x = resampleBatch(images, views);
      for (const t of this.pixels) x = t.apply(x, ctxs);
      if (!this.norm) return x;
      let f = normalizeBatch(x, this.norm.mean, this.norm.std);
      for (const t of this.floats) f = t.apply(f, ctxs);
      return f;
    });
  }

  /** `Pipeline(name, name, ...)`: the transforms by name, for logs. */
  toString(): string {
    return `Pipeline(${this.transforms.map((t) => t.name).join(', ')})`;
  }
}

/**
 * Builds a pipeline (see Pipeline for the stage order).
 *
 * @example
 *   const train = compose([randomResizedCrop(224), randomHorizontalFlip(), normalize()]);
 */
export function compose(transforms: readonly Transform[]): Pipeline {
  return new Pipeline(transforms);
}
