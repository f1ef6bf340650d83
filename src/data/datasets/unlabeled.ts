/**
 * An unlabeled folder of images (searched recursively): what prediction and pseudo
 * labelling read. Samples have label -1; `classes` can be given so that predictions and
 * pseudo labels made on it name the classes of the model that will label it.
 *
 * @example
 *   const test = unlabeledFolder('sorghum/test');
 *   const pseudo = withLabels(test, predictedLabels, model.classes);
 */
import { resolve } from 'node:path';
import { SkipReport } from '../skip-report.js';
import { DatasetError, type ImageDataset } from './dataset.js';
import { IMAGE_EXTENSIONS, listImages } from './list-images.js';

/**
 * All images under a folder, unlabeled (label -1), optionally with a class list.
 *
 * @example
 *   const test = unlabeledFolder('sorghum/test', { classes: model.classes });
 */
export function unlabeledFolder(root: string, options: { classes?: readonly string[]; extensions?: readonly string[] } = {}): ImageDataset {
  const skipped = new SkipReport();
  const files = listImages(resolve(root), skipped, options.extensions ?? IMAGE_EXTENSIONS);
  if (!files.length && skipped.files.some((f) => f.path === resolve(root))) {
    throw new DatasetError(`${root}: cannot read the folder (${skipped.files[0]!.detail})`);
  }
  return { classes: [...(options.classes ?? [])], samples: files.map((path) => ({ path, label: -1 })), skipped, source: root };
}
