/**
 * The transform protocol. A training pipeline runs in four stages, and every transform
 * belongs to one:
 * - `view`: geometry on a per-image `View` (resize, crops, RandomResizedCrop, box crop,
 *   flips). Nothing touches pixels until the batch is resampled once (resample.ts).
 * - `pixel`: uint8 batch [N, 3, H, W] -> uint8 batch (AutoAugment, RandAugment,
 *   TrivialAugmentWide, ColorJitter), as torchvision applies them to PIL/uint8 images.
 * - `normalize`: uint8 -> float32 (x / 255 - mean) / std.
 * - `float`: float batch -> float batch (RandomErasing).
 * Each image draws its random choices from its own `SampleContext.rng`, derived from
 * (seed, epoch, position in the epoch), so augmentations never depend on batch makeup or
 * decoding order.
 *
 * @example
 *   const flip: ViewTransform = { stage: 'view', name: 'hflip', plan: (v, ctx) => (ctx.rng.bernoulli(0.5) ? flipView(v) : v) };
 */
import type { Tensor } from '../../tensor/index.js';
import type { Sample } from '../datasets/dataset.js';
import type { Rng } from '../random.js';
import type { View } from './view.js';

export interface SampleContext {
  /** This image's random stream. */
  readonly rng: Rng;
  /** The dataset sample (for its box or label), when the image came from a dataset. */
  readonly sample?: Sample;
}

export interface ViewTransform {
  readonly stage: 'view';
  readonly name: string;
  plan(view: View, ctx: SampleContext): View;
}

export interface PixelTransform {
  readonly stage: 'pixel';
  readonly name: string;
  /** Returns a new uint8 batch (the input stays valid and is the caller's to free). */
  apply(x: Tensor, ctxs: readonly SampleContext[]): Tensor;
}

export interface NormalizeTransform {
  readonly stage: 'normalize';
  readonly name: string;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface FloatTransform {
  readonly stage: 'float';
  readonly name: string;
  /** Returns a new float batch (the input stays valid and is the caller's to free). */
  apply(x: Tensor, ctxs: readonly SampleContext[]): Tensor;
}

export type Transform = ViewTransform | PixelTransform | NormalizeTransform | FloatTransform;
