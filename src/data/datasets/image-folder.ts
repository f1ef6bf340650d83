/**
 * A folder per class: `root/<class name>/<image>` (images may sit in subfolders), classes sorted by name (as
 * torchvision's ImageFolder). Class folders without images are left out and reported
 * (`empty-class`), so the class list only names classes the model can learn; files beside
 * the class folders are metadata (ignored) or, if images, reported as `missing-label`.
 *
 * @example
 *   const ds = imageFolder('data/birds');  // { classes, samples, skipped, source }
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkipReport } from '../skip-report.js';
import { DatasetError, requireUsableClasses, type ImageDataset, type Sample } from './dataset.js';
import { IMAGE_EXTENSIONS, isImageName, listImages } from './list-images.js';

/** Options of `imageFolder`. */
export interface ImageFolderOptions {
  /**
   * File extensions counted as images, lower case with the dot (default: `IMAGE_EXTENSIONS`, .jpg
   * .jpeg .jfif .png .webp .tif .tiff .gif .avif .heic .heif); other files are skipped and
   * reported.
   */
  extensions?: readonly string[];
  /** Fewest classes with images before it is an error (default 2). */
  minClasses?: number;
}

/**
 * Reads a folder per class; throws DatasetError with fewer than two usable classes.
 *
 * @example
 *   const ds = imageFolder('data/birds');
 */
export function imageFolder(root: string, options: ImageFolderOptions = {}): ImageDataset {
  const dir = resolve(root);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException | null;
    throw new DatasetError(`${root}: cannot read the dataset folder (${e?.code ?? e})`);
  }
  const skipped = new SkipReport();
  const classes: string[] = [];
  const samples: Sample[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      skipped.add(p, 'missing', e?.code ?? String(e));
      continue;
    }
    if (!isDir) {
      // Files beside the class folders: metadata (labels.csv, README) is fine; an image
      // there has no class folder, so no label.
      if (isImageName(name)) skipped.add(p, 'missing-label', 'image outside any class folder');
      continue;
    }
    const files = listImages(p, skipped, options.extensions ?? IMAGE_EXTENSIONS);
    if (!files.length) {
      skipped.add(p, 'empty-class', 'no image files');
      continue;
    }
    const label = classes.push(name) - 1;
    for (const f of files) samples.push({ path: f, label });
  }
  const ds: ImageDataset = { classes, samples, skipped, source: root };
  requireUsableClasses(ds, options.minClasses ?? 2);
  return ds;
}
