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

/** What a transform knows about the image it works on: its random stream and, when it came from a dataset, its sample. */
export interface SampleContext {
  /** This image's random stream. */
  readonly rng: Rng;
  /** The dataset sample (for its box or label), when the image came from a dataset. */
  readonly sample?: Sample;
}

/** A geometric transform (resize, crops, flips): it changes the image's `View`, and the pixels are resampled once after the last one. */
export interface ViewTransform {
  /** The stage it runs in: first, before any pixel is touched. */
  readonly stage: 'view';
  /** A short description with the parameters, for `Pipeline.toString()` and logs. */
  readonly name: string;
  /** The view after this transform, drawing any random choice from `ctx.rng`. */
  plan(view: View, ctx: SampleContext): View;
}

/** A transform of the uint8 batch [N, 3, H, W] after resampling (AutoAugment, RandAugment, ColorJitter). */
export interface PixelTransform {
  /** The stage it runs in: after resampling, before normalisation. */
  readonly stage: 'pixel';
  /** A short description with the parameters, for `Pipeline.toString()` and logs. */
  readonly name: string;
  /** Returns a new uint8 batch (the input stays valid and is the caller's to free). */
  apply(x: Tensor, ctxs: readonly SampleContext[]): Tensor;
}

/** The step from uint8 to float32: (x / 255 - mean) / std per channel. At most one per pipeline. */
export interface NormalizeTransform {
  /** The stage: between the pixel and the float transforms. */
  readonly stage: 'normalize';
  /** A short description with the parameters, for `Pipeline.toString()` and logs. */
  readonly name: string;
  /** Per-channel mean (R, G, B) on the 0..1 scale, subtracted after dividing by 255. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation (R, G, B) on the 0..1 scale, divided by last. */
  readonly std: readonly number[];
}

/** A transform of the normalized float batch (RandomErasing). */
export interface FloatTransform {
  /** The stage it runs in: last, after normalisation. */
  readonly stage: 'float';
  /** A short description with the parameters, for `Pipeline.toString()` and logs. */
  readonly name: string;
  /** Returns a new float batch (the input stays valid and is the caller's to free). */
  apply(x: Tensor, ctxs: readonly SampleContext[]): Tensor;
}

/** Any transform `compose` takes; its `stage` says where in the pipeline it runs. */
export type Transform = ViewTransform | PixelTransform | NormalizeTransform | FloatTransform;
