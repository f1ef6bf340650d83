/**
 * A CSV of image paths and labels: `path,label` (with or without a header), or any header
 * naming the columns, including Kaggle's Sorghum-100 layout (`image,cultivar`, images in
 * `train_images/` beside the CSV). Paths are relative to `imageRoot` (default: the CSV's
 * folder, or its `train_images/` or `images/` subfolder when the first paths are found
 * there). Rows whose file is missing, whose label is empty, or (with `classes` given)
 * whose label names no class are skipped and reported.
 *
 * @example
 *   const ds = csvDataset('sorghum/train_cultivar_mapping.csv');  // image,cultivar
 *   const ds2 = csvDataset('labels.csv', { pathColumn: 'file', labelColumn: 'species' });
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SkipReport } from '../skip-report.js';
import { DatasetError, requireUsableClasses, type ImageDataset, type Sample } from './dataset.js';
import { parseCsv } from './parse-csv.js';

/**
 * Options of `csvDataset`: where the images are, which columns hold the path and the label, and
 * which classes count.
 */
export interface CsvDatasetOptions {
  /** Folder the paths are relative to. */
  imageRoot?: string;
  /** Column holding the path: a header name or an index (default: a known name, else 0). */
  pathColumn?: string | number;
  /** Column holding the label: a header name or an index (default: a known name, else 1). */
  labelColumn?: string | number;
  /** The class list; labels outside it are skipped. Default: the sorted distinct labels. */
  classes?: readonly string[];
  /** Appended to paths that have no extension (some CSVs list image ids). */
  extension?: string;
  /** The field separator (default ','; '\t' for TSV files). */
  delimiter?: string;
  /** Fewest classes with images before it is an error (default 2). */
  minClasses?: number;
}

const PATH_NAMES = ['path', 'image', 'filename', 'file', 'image_path', 'img', 'image_id', 'id'];
const LABEL_NAMES = ['label', 'class', 'cultivar', 'category', 'species', 'class_name', 'target'];

function columnOf(header: string[] | null, want: string | number | undefined, known: string[], fallback: number, what: string, file: string): number {
  if (typeof want === 'number') return want;
  const lower = header?.map((h) => h.trim().toLowerCase());
  if (want !== undefined) {
    const i = lower?.indexOf(want.toLowerCase()) ?? -1;
    if (i < 0) throw new DatasetError(`${file}: no ${what} column named "${want}" (header: ${header?.join(',') ?? 'none'})`);
    return i;
  }
  for (const k of known) {
    const i = lower?.indexOf(k) ?? -1;
    if (i >= 0) return i;
  }
  return fallback;
}

/** The candidate folder where most of the first paths exist (a few rows may be broken). */
function guessRoot(csvDir: string, firstPaths: string[]): string {
  let best = csvDir;
  let found = 0;
  for (const sub of ['', 'train_images', 'images', 'train']) {
    const root = join(csvDir, sub);
    const n = firstPaths.filter((p) => p && existsSync(isAbsolute(p) ? p : join(root, p))).length;
    if (n > found) [best, found] = [root, n];
  }
  return best;
}

/**
 * Reads a CSV of image paths and labels (see the file comment for the layouts it knows).
 *
 * @example
 *   const ds = csvDataset('sorghum/train_cultivar_mapping.csv');
 */
export function csvDataset(csvPath: string, options: CsvDatasetOptions = {}): ImageDataset {
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException | null;
    throw new DatasetError(`${csvPath}: cannot read the CSV (${e?.code ?? e})`);
  }
  const rows = parseCsv(text, options.delimiter ?? ',');
  if (!rows.length) throw new DatasetError(`${csvPath}: the CSV is empty`);
  const first = rows[0]!.map((c) => c.trim().toLowerCase());
  const named = [options.pathColumn, options.labelColumn].filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase());
  const hasHeader = first.some((c) => PATH_NAMES.includes(c) || LABEL_NAMES.includes(c) || named.includes(c));
  const header = hasHeader ? rows[0]! : null;
  const body = hasHeader ? rows.slice(1) : rows;
  const pathCol = columnOf(header, options.pathColumn, PATH_NAMES, 0, 'path', csvPath);
  const labelCol = columnOf(header, options.labelColumn, LABEL_NAMES, 1, 'label', csvPath);
  const withExt = (p: string) => (options.extension && !/\.[a-z0-9]+$/i.test(p) ? p + options.extension : p);
  const root = resolve(
    options.imageRoot ??
      guessRoot(
        dirname(resolve(csvPath)),
        body.slice(0, 20).map((r) => withExt((r[pathCol] ?? '').trim())),
      ),
  );

  const skipped = new SkipReport();
  const rowsOk: { path: string; label: string }[] = [];
  body.forEach((r, i) => {
    const rel = withExt((r[pathCol] ?? '').trim());
    const label = (r[labelCol] ?? '').trim();
    const where = `${csvPath}:${i + (hasHeader ? 2 : 1)}`;
    if (!rel) return skipped.add(where, 'missing', 'empty path');
    const path = isAbsolute(rel) ? rel : join(root, rel);
    if (!label) return skipped.add(path, 'missing-label', where);
    try {
      if (!statSync(path).isFile()) return skipped.add(path, 'unreadable', 'not a regular file');
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      return skipped.add(path, e?.code === 'ENOENT' ? 'missing' : 'unreadable', `${where}: ${e?.code ?? e}`);
    }
    rowsOk.push({ path, label });
  });
  const classes = options.classes ? [...options.classes] : [...new Set(rowsOk.map((r) => r.label))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const samples: Sample[] = [];
  for (const r of rowsOk) {
    const label = index.get(r.label);
    if (label === undefined) skipped.add(r.path, 'unknown-label', `"${r.label}" is not a class`);
    else samples.push({ path: r.path, label });
  }
  const ds: ImageDataset = { classes, samples, skipped, source: csvPath };
  requireUsableClasses(ds, options.minClasses ?? 2);
  return ds;
}
