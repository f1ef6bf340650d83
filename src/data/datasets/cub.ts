/**
 * CUB-200-2011-style metadata: `images.txt` (id, relative path under `images/`),
 * `image_class_labels.txt` (id, class id), `train_test_split.txt` (id, 1 = train),
 * `classes.txt` (class id, name). Fields may be separated by spaces or ", " (the original
 * uses spaces; `../shared/data/cub100` uses commas). Class ids are mapped to indices in
 * the order of classes.txt, so 0- and 1-based files both work. The split flag file is
 * authoritative (cub100's README states the counts the other way round).
 *
 * @example
 *   const train = cubDataset('../shared/data/cub100', { split: 'train' }); // 2,903 images
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkipReport } from '../skip-report.js';
import { DatasetError, requireUsableClasses, type ImageDataset, type Sample } from './dataset.js';

/** Options of `cubDataset`. */
export interface CubOptions {
  /** Which images: the training split, the test split, or all (default 'train'). */
  split?: 'train' | 'test' | 'all';
  /** Fewest classes with images before it is an error (default 2). */
  minClasses?: number;
}

/** `id <sep> value` lines as a map; the value keeps inner spaces (paths may have them). */
function readPairs(root: string, file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException | null;
    throw new DatasetError(`${root}: cannot read ${file} (${e?.code ?? e})`);
  }
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^\s,]+)\s*[,\s]\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * Reads a CUB-style dataset: its images.txt, image_class_labels.txt, split and classes.
 *
 * @example
 *   const train = cubDataset('../shared/data/cub100', { split: 'train' });
 */
export function cubDataset(root: string, options: CubOptions = {}): ImageDataset {
  const dir = resolve(root);
  const split = options.split ?? 'train';
  const images = readPairs(dir, 'images.txt');
  const labels = readPairs(dir, 'image_class_labels.txt');
  const flags = split === 'all' ? null : readPairs(dir, 'train_test_split.txt');
  const classPairs = readPairs(dir, 'classes.txt');
  const classes = [...classPairs.values()];
  const classIndex = new Map([...classPairs.keys()].map((id, i) => [id, i]));
  const skipped = new SkipReport();
  const samples: Sample[] = [];
  for (const [id, rel] of images) {
    if (flags) {
      const flag = flags.get(id);
      if (flag === undefined) continue; // not in the split file: in neither split
      if ((flag.trim() === '1') !== (split === 'train')) continue;
    }
    const path = join(dir, 'images', rel);
    const classId = labels.get(id);
    if (classId === undefined) {
      skipped.add(path, 'missing-label', `image id ${id} has no line in image_class_labels.txt`);
      continue;
    }
    const label = classIndex.get(classId);
    if (label === undefined) {
      skipped.add(path, 'unknown-label', `class id ${classId} is not in classes.txt`);
      continue;
    }
    try {
      statSync(path);
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      skipped.add(path, e?.code === 'ENOENT' ? 'missing' : 'unreadable', e?.code ?? String(e));
      continue;
    }
    samples.push({ path, label });
  }
  const ds: ImageDataset = { classes, samples, skipped, source: `${root} (${split})` };
  requireUsableClasses(ds, options.minClasses ?? 2);
  return ds;
}
