/**
 * The developers' datasets as bench/accuracy uses them: where each one's training and test
 * images are, and the training / validation split every arm shares — finegrain's own
 * stratified split (`openTrainingData`, 10 % per class, seed 0), written as path,label lists
 * for the PyTorch baseline. Test images are listed only by `testList`, which the final
 * evaluation alone calls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../../src/data/datasets/dataset.js';
import { openLabeled, openTrainingData, type TrainingData } from '../../src/train/datasets.js';

export interface BenchDataset {
  name: 'cars33' | 'cub100';
  /** `finegrain train --data`. */
  train: string;
  /** `finegrain eval --data` (and `--split`), read only by the final evaluation. */
  test: { data: string; split?: 'test' };
}

/** The split's seed and validation share: train's defaults, so the finegrain arm splits identically. */
export const VAL_FRACTION = 0.1;
export const SPLIT_SEED = 0;

export function benchDataset(name: string, shared: string): BenchDataset {
  if (name === 'cars33') return { name, train: join(shared, 'data/cars33/train'), test: { data: join(shared, 'data/cars33/test') } };
  if (name === 'cub100') return { name, train: join(shared, 'data/cub100'), test: { data: join(shared, 'data/cub100'), split: 'test' } };
  throw new Error(`unknown dataset '${name}' (cars33, cub100)`);
}

export function trainingSplit(d: BenchDataset): TrainingData {
  return openTrainingData({ data: d.train, valFraction: VAL_FRACTION, seed: SPLIT_SEED });
}

/** Writes `path,label` lines (labels in `classes`' order). */
export function writeList(file: string, ds: ImageDataset): string {
  writeFileSync(file, ds.samples.map((s) => `${s.path},${s.label}`).join('\n') + '\n');
  return file;
}

/** The test images, with the training classes' labels: for the final evaluation only. */
export function testSet(d: BenchDataset, classes: readonly string[]): ImageDataset {
  return openLabeled(d.test.data, { split: d.test.split ?? 'train', classes });
}
