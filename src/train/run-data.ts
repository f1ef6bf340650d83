/**
 * The run a checkpoint came from: `<run>/checkpoints/<name>.safetensors` sits two folders
 * below its run folder, whose config.json says what data it trained on. Calibration, the
 * class hierarchy and evaluation reopen that data split as training split it (the same
 * validation images, never the test ones).
 *
 * @example
 *   const data = runTrainingData('runs/cars/checkpoints/best.safetensors');
 *   data?.val.samples.length; // the run's own validation split, or null outside a run folder
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseTrainConfig } from './config.js';
import { openTrainingData, type TrainingData } from './datasets.js';

/** The run folder around a checkpoint (it holds config.json), or null. */
export function runDirOf(checkpoint: string): string | null {
  const dir = dirname(dirname(resolve(checkpoint)));
  return existsSync(resolve(dir, 'config.json')) ? dir : null;
}

/** The checkpoint's run's training data, split as training split it; null outside a run folder. */
export function runTrainingData(checkpoint: string): TrainingData | null {
  const dir = runDirOf(checkpoint);
  if (!dir) return null;
  return openTrainingData(parseTrainConfig(JSON.parse(readFileSync(resolve(dir, 'config.json'), 'utf8'))));
}
