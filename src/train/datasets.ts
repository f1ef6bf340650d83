/**
 * Opening the training data a config names: a folder per class, a CSV file, or a CUB-style
 * folder (detected by its `images.txt`), split into training and validation (a stratified,
 * seeded split of the training data unless `valData` is given). For CUB-style folders the
 * official train split is the training data; its test split is never used for tuning.
 *
 * @example
 *   const data = openTrainingData({ data: '../shared/data/cub100', valFraction: 0.1, seed: 0 });
 *   data.classes.length; // 100
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { csvDataset } from '../data/datasets/csv.js';
import { cubDataset } from '../data/datasets/cub.js';
import { classCounts, DatasetError, requireUsableClasses, type ImageDataset } from '../data/datasets/dataset.js';
import { imageFolder } from '../data/datasets/image-folder.js';
import { stratifiedSplit } from '../data/datasets/split.js';
import { unlabeledFolder } from '../data/datasets/unlabeled.js';

export interface TrainingData {
  classes: readonly string[];
  train: ImageDataset;
  val: ImageDataset;
  /** Images per class in the training split (for balancing and head/tail reports). */
  trainCounts: number[];
}

/** Reads a labelled dataset by its layout. `classes` pins the class list (e.g. a checkpoint's). */
export function openLabeled(path: string, options: { split?: 'train' | 'test' | 'all'; classes?: readonly string[] } = {}): ImageDataset {
  if (!existsSync(path)) throw new DatasetError(`data not found: ${path}`);
  if (statSync(path).isFile()) return csvDataset(path, { classes: options.classes });
  if (existsSync(join(path, 'images.txt')) && existsSync(join(path, 'image_class_labels.txt'))) {
    const cub = cubDataset(path, { split: options.split ?? 'train' });
    return options.classes ? alignClasses(cub, options.classes) : cub;
  }
  const ds = imageFolder(path);
  return options.classes ? alignClasses(ds, options.classes) : ds;
}

/** Relabels a dataset to another class list by name (images of unknown classes are left out and reported). */
export function alignClasses(ds: ImageDataset, classes: readonly string[]): ImageDataset {
  const index = new Map(classes.map((c, i) => [c, i]));
  const samples = [];
  for (const s of ds.samples) {
    const label = index.get(ds.classes[s.label] ?? '');
    if (label === undefined) ds.skipped.add(s.path, 'unknown-label', `class '${ds.classes[s.label]}' is not among the model's classes`);
    else samples.push({ ...s, label });
  }
  return { ...ds, classes, samples };
}

export function openUnlabeled(path: string): ImageDataset {
  if (!existsSync(path)) throw new DatasetError(`unlabeled data not found: ${path}`);
  return unlabeledFolder(path);
}

export function openTrainingData(options: { data: string; valData?: string; valFraction: number; seed: number }): TrainingData {
  const all = openLabeled(options.data, { split: 'train' });
  requireUsableClasses(all);
  let train: ImageDataset;
  let val: ImageDataset;
  if (options.valData) {
    train = all;
    val = openLabeled(options.valData, { split: 'train', classes: all.classes });
  } else {
    ({ train, val } = stratifiedSplit(all, { valFraction: options.valFraction, seed: options.seed }));
  }
  return { classes: all.classes, train, val, trainCounts: classCounts(train) };
}
