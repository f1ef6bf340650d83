/**
 * Building datasets from datasets: subsets, pseudo labels on unlabeled images, and
 * concatenation (training set + pseudo-labelled test set for the next round).
 *
 * @example
 *   const pseudo = withLabels(unlabeledFolder('test'), predictions, train.classes);
 *   const next = concatDatasets(train, pseudo);
 */
import { SkipReport } from '../skip-report.js';
import { DatasetError, type ImageDataset, type Sample } from './dataset.js';

/**
 * The samples at `indices`, same classes.
 *
 * @example
 *   const first100 = subset(ds, [...Array(100).keys()]);
 */
export function subset(ds: ImageDataset, indices: readonly number[]): ImageDataset {
  return { ...ds, samples: indices.map((i) => ds.samples[i]!), source: `${ds.source} [subset of ${indices.length}]` };
}

/**
 * Gives every sample of `ds` a label (index into `classes`); a label of -1 (e.g. a
 * prediction below the confidence threshold) drops the sample.
 *
 * @example
 *   const pseudo = withLabels(unlabeledFolder('test'), predicted, train.classes);
 */
export function withLabels(ds: ImageDataset, labels: readonly number[], classes: readonly string[]): ImageDataset {
  if (labels.length !== ds.samples.length) throw new DatasetError(`withLabels: ${ds.samples.length} samples but ${labels.length} labels`);
  const samples: Sample[] = [];
  ds.samples.forEach((s, i) => {
    const label = labels[i]!;
    if (label >= classes.length || !Number.isInteger(label))
      throw new DatasetError(`withLabels: label ${label} is not a class index (0..${classes.length - 1})`);
    if (label >= 0) samples.push({ ...s, label });
  });
  return { classes: [...classes], samples, skipped: new SkipReport().merge(ds.skipped), source: `${ds.source} [labelled]` };
}

/**
 * Joins datasets with the same class list.
 *
 * @example
 *   const next = concatDatasets(train, pseudo);
 */
export function concatDatasets(...parts: ImageDataset[]): ImageDataset {
  if (!parts.length) throw new DatasetError('concatDatasets: nothing to join');
  const classes = parts[0]!.classes;
  for (const p of parts) {
    if (p.classes.length !== classes.length || p.classes.some((c, i) => c !== classes[i])) {
      throw new DatasetError(`concatDatasets: ${p.source} has different classes than ${parts[0]!.source}`);
    }
  }
  const skipped = new SkipReport();
  for (const p of parts) skipped.merge(p.skipped);
  return { classes: [...classes], samples: parts.flatMap((p) => p.samples), skipped, source: parts.map((p) => p.source).join(' + ') };
}
