/**
 * One training epoch: forward under autocast, loss with label smoothing (or soft targets from
 * Mixup/CutMix, or logit adjustment for long tails), gradient accumulation, optimiser step,
 * learning-rate schedule, EMA. Every tensor of a step is freed when the step ends.
 *
 * Each optimiser step reseeds libtorch from (seed, step), so dropout masks — like the data
 * order and augmentations, which derive from (seed, epoch, index) — are a function of the
 * step alone and a resumed run repeats the uninterrupted one.
 */
import { autocast } from '../autograd/autocast.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Rng } from '../data/random.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { GradientReducer } from '../distributed/gradient-reducer.js';
import type { GradScaler } from '../optim/grad-scaler.js';
import type { AnyOptimizer } from '../optim/optimizer.js';
import type { ImageClassifier } from '../models/classifier.js';
import { manualSeed } from '../runtime/settings.js';
import { faultPoint } from '../fault-points.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Device } from '../tensor/device.js';
import type { ModelEma } from './ema.js';
import type { Precision } from '../runtime/device-choice.js';
import type { Batch } from './batches.js';

export interface StepContext {
  model: ImageClassifier;
  optimizer: AnyOptimizer;
  ema: ModelEma | null;
  lrAt: (step: number) => number;
  /** The learning rate each group was configured with, scaled by the schedule's factor. */
  baseLrs: number[];
  /** Which groups hold the classifier's parameters (the head-only phase trains those alone). */
  headGroups?: boolean[];
  /** Optimiser steps of the head-only phase (0: none), and of the body's ramp after it. */
  headOnlySteps?: number;
  bodyRampSteps?: number;
  peakLr: number;
  device: Device;
  precision: Precision;
  channelsLast: boolean;
  accumulate: number;
  labelSmoothing: number;
  /** log(class prior) * tau, added to the logits in the loss (logit adjustment), or null. */
  logitAdjust: Tensor | null;
  seed: number;
  /** Data-parallel runs: averages gradients over ranks during the last micro-batch's backward. */
  reducer?: GradientReducer | null;
  /** float16 runs: loss scaling against gradient underflow (created by `trainEpoch` when absent). */
  scaler?: GradScaler | null;
}

export interface EpochStats {
  loss: number;
  accuracy: number;
  images: number;
  seconds: number;
}

/** The body's share of its scheduled rate: 0 in the head-only phase, then a linear ramp to 1. */
export function bodyFactor(ctx: Pick<StepContext, 'headOnlySteps' | 'bodyRampSteps'>, step: number): number {
  const h = ctx.headOnlySteps ?? 0;
  if (h <= 0) return 1;
  if (step < h) return 0;
  return Math.min(1, (step - h + 1) / Math.max(1, ctx.bodyRampSteps ?? 1));
}

/** Moves a batch's images where the model is, in the layout it wants. */
export function prepareImages(images: Tensor, device: Device, channelsLast: boolean): Tensor {
  return images.to({ device, memoryFormat: channelsLast ? 'channelsLast' : undefined });
}

export function forwardLogits(ctx: Pick<StepContext, 'model' | 'device' | 'precision'>, x: Tensor): Tensor {
  const run = () => ctx.model.forward(x);
  if (ctx.precision === 'float32') return run();
  const deviceType = ctx.device === 'cpu' ? 'cpu' : 'cuda';
  return autocast({ deviceType, dtype: ctx.precision }, run).float();
}

/**
 * Runs the batches of one epoch; `step` is the global optimiser step count before it and
 * advances in `ctx` callers via the returned value. `onProgress` reports after each batch.
 */
export async function trainEpoch(
  ctx: StepContext,
  batches: AsyncIterable<Batch> & { length: number },
  startStep: number,
  onProgress: (batchIndex: number, stats: { loss: number; accuracy: number; images: number }) => void,
): Promise<{ stats: EpochStats; step: number }> {
  ctx.model.train();
  let step = startStep;
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  let pending = 0;
  const started = performance.now();
  const total = batches.length;
  // float16 gradients underflow without loss scaling (bfloat16 has float32's range: no need).
  if (ctx.precision === 'float16' && !ctx.scaler) throw new Error('trainEpoch: float16 training needs a GradScaler in the step context');
  const scaler = ctx.precision === 'float16' ? ctx.scaler! : null;
  let index = 0;
  for await (const batch of batches) {
    try {
      if (pending === 0) {
        manualSeed(new Rng(ctx.seed, 'step', step).uint32());
        const factor = ctx.lrAt(step) / ctx.peakLr;
        const body = bodyFactor(ctx, step);
        ctx.optimizer.paramGroups.forEach((g, i) => (g.lr = ctx.baseLrs[i]! * factor * (ctx.headGroups?.[i] ? 1 : body)));
      }
      // The gradient all-reduce runs in the backward of the optimiser step's last micro-batch
      // only; earlier ones accumulate locally (DDP's no_sync), as PyTorch users do.
      const syncs = pending + 1 === ctx.accumulate || index === total - 1;
      const { loss, hits } = scope(() => {
        const x = prepareImages(batch.images, ctx.device, ctx.channelsLast);
        let logits = forwardLogits(ctx, x);
        const labels = batch.labels.to({ device: ctx.device });
        if (ctx.logitAdjust) logits = logits.add(ctx.logitAdjust);
        const target = batch.targets ? batch.targets.to({ device: ctx.device }) : labels;
        const l = crossEntropy(logits, target, { labelSmoothing: batch.targets ? 0 : ctx.labelSmoothing });
        const scaled = l.div(ctx.accumulate);
        const toBackward = scaler ? scaler.scale(scaled) : scaled;
        if (syncs && ctx.reducer) ctx.reducer.backward(toBackward);
        else toBackward.backward();
        return { loss: l.item(), hits: logits.argmax(1).eq(labels).sum().item() };
      });
      pending++;
      const last = index === total - 1;
      if (pending === ctx.accumulate || last) {
        if (scaler) {
          scope(() => {
            scaler.step(ctx.optimizer); // skipped when a gradient is inf/NaN
            scaler.update();
          });
        } else ctx.optimizer.step();
        // Bucket-view gradients are zeroed in place: a dropped one would cost the reducer a copy.
        ctx.optimizer.zeroGrad(!(ctx.reducer?.gradientAsBucketView ?? false));
        if (ctx.ema) noGrad(() => ctx.ema!.update(ctx.model));
        pending = 0;
        step++;
        faultPoint('train-step');
      }
      const n = batch.indices.length;
      lossSum += loss * n;
      correct += hits;
      images += n;
      onProgress(index, { loss: lossSum / images, accuracy: correct / images, images });
    } finally {
      batch.dispose();
    }
    index++;
  }
  return {
    stats: { loss: lossSum / Math.max(1, images), accuracy: correct / Math.max(1, images), images, seconds: (performance.now() - started) / 1000 },
    step,
  };
}
