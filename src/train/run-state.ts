/**
 * The part of a run that a checkpoint must carry for `--resume` to continue exactly: where
 * the run stands (round, epoch, optimiser step, best validation accuracy), the crop boxes
 * chosen for the next epoch and the pseudo-labelled images of the current round — plus, in
 * the checkpoint's metadata, everything a predictor needs (architecture, classes,
 * preprocessing).
 *
 * @example
 *   saveCheckpoint(folder.lastCheckpoint, { model, ema: ema?.shadow, optimizer, meta: checkpointMeta(session) });
 *   restoreRun(session, loadCheckpoint(folder.lastCheckpoint));
 */
import type { GradScalerState } from '../optim/grad-scaler.js';
import type { Box } from '../data/datasets/dataset.js';
import type { Checkpoint } from '../models/checkpoint/checkpoint.js';
import type { CheckpointMeta } from '../models/checkpoint/meta.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { TrainingSession } from './session.js';
import type { TrainConfig } from './config.js';
import { modelOptions } from './build-model.js';

export interface RunState {
  round: number;
  /** Completed epochs of this round, and optimiser steps. */
  epoch: number;
  step: number;
  best: number;
  /** Each training image's crop box for the next epoch (attention or SCDA crop), or null. */
  boxes: (Box | undefined)[] | null;
  /** The pseudo-labelled images added in this round (part of the state, so a resume reuses them). */
  pseudo: { paths: string[]; labels: number[] } | null;
  /** Budget runs: wall seconds of the budget used when the checkpoint was written (a resume goes on from them). */
  seconds?: number;
}

export function initialRunState(): RunState {
  return { epoch: 0, step: 0, best: -1, boxes: null, round: 0, pseudo: null };
}

/** Input size for an epoch: the last `finalEpochs` run at `finalImageSize`. */
export function imageSizeAt(c: TrainConfig, epoch: number): number {
  return c.finalImageSize && epoch >= c.epochs - c.finalEpochs ? c.finalImageSize : c.imageSize;
}

/** How the model sees images in `epoch` (and after it: the checkpoint stores the last epoch's). */
export function preprocessAt(s: Pick<TrainingSession, 'config' | 'normalization'>, epoch: number): PreprocessConfig {
  return { inputSize: imageSizeAt(s.config, epoch), interpolation: 'bilinear', cropFraction: 1, ...s.normalization };
}

/** The checkpoint metadata for the run as it stands now. */
export function checkpointMeta(s: TrainingSession): CheckpointMeta {
  const preprocess = preprocessAt(s, Math.max(0, s.state.epoch - 1));
  return {
    model: s.config.model,
    modelOptions: { ...modelOptions(s.config, s.classes.length) },
    classes: [...s.classes],
    imageSize: preprocess.inputSize,
    mean: preprocess.mean,
    std: preprocess.std,
    preprocess,
    epoch: s.state.epoch,
    step: s.state.step,
    emaUpdates: s.ema?.updates ?? 0,
    run: { ...s.state },
    // float16 runs: the loss scale and its growth tracker, so a resumed run scales as the
    // uninterrupted one would (PyTorch's recipe saves scaler.state_dict() beside the optimiser).
    ...(s.scaler ? { gradScaler: s.scaler.stateDict() } : {}),
  };
}

/** Loads model, optimiser, EMA and run state from the run's last checkpoint (the caller disposes it). */
export function restoreRun(s: TrainingSession, ckpt: Checkpoint): void {
  s.model.loadStateDict(ckpt.model);
  if (ckpt.optimizer) s.optimizer.loadStateDict(ckpt.optimizer);
  if (s.ema && ckpt.ema) {
    s.ema.shadow.loadStateDict(ckpt.ema);
    s.ema.updates = Number(ckpt.meta.emaUpdates ?? 0);
  }
  if (s.scaler && ckpt.meta.gradScaler) s.scaler.loadStateDict(ckpt.meta.gradScaler as GradScalerState);
  const saved = ckpt.meta.run as RunState;
  Object.assign(s.state, saved, { boxes: saved.boxes ?? null });
}
