/**
 * Predicting image files with finegrain checkpoints — what `finegrain eval` and
 * `finegrain predict` share: loading an ensemble of checkpoints (one class list for all),
 * opening the inputs (folders and single files, named as a Kaggle submission names them),
 * the top-k classes of each image, and writing them as a submission CSV or as JSON.
 *
 * @example
 *   const ens = loadEnsemble([{ path: 'a/best.safetensors' }, { path: 'b/best.safetensors', weight: 0.5 }]);
 *   const inputs = openInputs(['test_images/']);
 *   const preds = await predictDataset(ens.members, inputs.dataset, { tta: { flips: true } });
 *   writePredictions('submission.csv', topKPredictions(preds.probs, ens.classes, preds.paths.map((p) => inputs.names.get(p)!), preds.paths, 5));
 */
import { existsSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write.js';
import { csvField } from '../io/csv-field.js';
import { basename, relative, resolve, sep } from 'node:path';
import type { ImageDataset, Sample } from '../data/datasets/dataset.js';
import { isImageName } from '../data/datasets/list-images.js';
import { unlabeledFolder } from '../data/datasets/unlabeled.js';
import { SkipReport, type SkippedFile } from '../data/skip-report.js';
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';
import { loadModelFromCheckpoint, type LoadedModel, type LoadModelOptions } from '../models/load-checkpoint.js';
import type { EnsembleMember } from '../evaluation/predict-dataset.js';
import { UsageError } from '../usage-error.js';
import { topClasses } from '../evaluation/top-classes.js';

/** A checkpoint file and its weight in the ensemble (default 1). */
export interface CheckpointSpec {
  path: string;
  weight?: number;
}

/** Nothing usable to predict with or on: missing checkpoints, different class lists, bad weights, no images. */
export class PredictionError extends UsageError {
  override name = 'PredictionError';
}

export interface LoadedEnsemble {
  members: (EnsembleMember & LoadedModel)[];
  /** The class list every member shares. */
  classes: readonly string[];
  dispose(): void;
}

/**
 * Loads every checkpoint; they must name the same classes in the same order, since the
 * ensemble averages (or concatenates) outputs column by column.
 *
 * @example
 *   const ens = loadEnsemble([{ path: 'runs/a/checkpoints/best.safetensors' }], { device: 'cpu' });
 *   try { ... } finally { ens.dispose(); }
 */
export function loadEnsemble(specs: readonly CheckpointSpec[], options: LoadModelOptions = {}): LoadedEnsemble {
  if (!specs.length) throw new PredictionError('no checkpoint given');
  for (const s of specs) {
    if (!existsSync(s.path)) throw new PredictionError(`checkpoint not found: ${s.path}`);
    if (!statSync(s.path).isFile()) throw new PredictionError(`checkpoint is not a file: ${s.path}`);
    if (s.weight !== undefined && !(Number.isFinite(s.weight) && s.weight > 0))
      throw new PredictionError(`weight of ${s.path} must be a positive number, got ${s.weight}`);
  }
  const members: (EnsembleMember & LoadedModel)[] = [];
  const dispose = () => {
    for (const m of members) m.model.dispose();
  };
  try {
    for (const s of specs) {
      let loaded: LoadedModel;
      try {
        loaded = loadModelFromCheckpoint(s.path, options);
      } catch (e) {
        // Format errors (a truncated download, a file that is not safetensors) should say which file.
        if (e instanceof Error && !e.message.includes(s.path)) e.message = `${s.path}: ${e.message}`;
        throw e;
      }
      members.push({ ...loaded, weight: s.weight ?? 1 });
      const first = members[0]!;
      if (loaded.meta.classes.join('\n') !== first.meta.classes.join('\n')) {
        throw new PredictionError(
          `${s.path} and ${first.path} do not share a class list (${describeDifference(first.meta.classes, loaded.meta.classes)}); an ensemble needs the same classes in the same order`,
        );
      }
    }
  } catch (e) {
    dispose();
    throw e;
  }
  return { members, classes: members[0]!.meta.classes, dispose };
}

/** The first difference between two class lists, for the error message. */
function describeDifference(a: readonly string[], b: readonly string[]): string {
  if (a.length !== b.length) return `${a.length} vs ${b.length} classes`;
  const i = a.findIndex((c, j) => c !== b[j]);
  return `class ${i} is '${a[i]}' vs '${b[i]}'`;
}

export interface PredictInputs {
  /** Every image found, unlabeled (label -1); unusable inputs are in `dataset.skipped`. */
  dataset: ImageDataset;
  /** Each sample's name in a submission: its path relative to the folder given, or a file's base name. */
  names: ReadonlyMap<string, string>;
}

/**
 * Folders (searched recursively) and image files to predict. Missing paths and files that
 * are not images are reported in `dataset.skipped`, not thrown: one bad argument in a long
 * list should not cost the rest. Only when nothing usable remains is it an error.
 *
 * @example
 *   const { dataset, names } = openInputs(['test/', 'extra.jpg']);
 *   names.get(dataset.samples[0].path); // 'sub/0001.jpg' (relative to test/)
 */
export function openInputs(inputs: readonly string[]): PredictInputs {
  if (!inputs.length) throw new PredictionError('no input images or folders given');
  const skipped = new SkipReport();
  const samples: Sample[] = [];
  const names = new Map<string, string>();
  const add = (path: string, name: string) => {
    if (names.has(path)) return; // the same file given twice is predicted once
    names.set(path, name);
    samples.push({ path, label: -1 });
  };
  for (const input of inputs) {
    const path = resolve(input);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      skipped.add(path, e?.code === 'ENOENT' ? 'missing' : 'unreadable', e?.code ?? String(e));
      continue;
    }
    if (isDir) {
      const ds = unlabeledFolder(path);
      skipped.merge(ds.skipped);
      // Kaggle names files relative to the folder it hands out, with forward slashes.
      for (const s of ds.samples) add(s.path, relative(path, s.path).split(sep).join('/'));
    } else if (!isImageName(path)) {
      skipped.add(path, 'unsupported-extension', 'not an image file name');
    } else {
      add(path, basename(path));
    }
  }
  if (!samples.length) {
    const why = skipped.count ? `: ${skipped.details(10)}` : '';
    throw new PredictionError(`no images to predict in ${inputs.join(', ')}${why}`);
  }
  return { dataset: { classes: [], samples, skipped, source: inputs.join(', ') }, names };
}

export interface ImagePrediction {
  /** The name a submission uses (see `openInputs`). */
  filename: string;
  path: string;
  /** Best class first. */
  top: { label: string; score: number }[];
}

/**
 * The `k` best classes of each row of `probs` [N, K], by name.
 *
 * @example
 *   topKPredictions(probs, ['cat', 'dog'], ['a.jpg'], ['/data/a.jpg'], 1); // [{ filename: 'a.jpg', top: [{ label: 'dog', score: 0.9 }] }]
 */
export function topKPredictions(
  probs: Tensor,
  classes: readonly string[],
  filenames: readonly string[],
  paths: readonly string[],
  k: number,
): ImagePrediction[] {
  const [n, numClasses] = probs.shape as [number, number];
  if (numClasses !== classes.length) throw new RangeError(`topKPredictions: ${numClasses} score columns but ${classes.length} classes`);
  if (filenames.length !== n || paths.length !== n) throw new RangeError(`topKPredictions: ${n} rows but ${filenames.length} names and ${paths.length} paths`);
  const kk = Math.max(1, Math.min(k, numClasses));
  if (n === 0) return [];
  // topClasses, as the server and the library rank: ties go to the lower class index.
  const rows = scope(() => probs.float().contiguous().toTypedArray() as Float32Array);
  return filenames.map((filename, i) => {
    const row = rows.subarray(i * numClasses, (i + 1) * numClasses);
    return { filename, path: paths[i]!, top: topClasses(row, kk).map((c) => ({ label: classes[c]!, score: row[c]! })) };
  });
}

/**
 * Writes predictions by the file's extension: `.csv` in Kaggle's submission layout
 * (`filename,<labelColumn>`, the top class's name), `.json` with the top-k classes and
 * scores of every image plus the skipped files and `extra` fields. Written atomically.
 *
 * @example
 *   writePredictions('submission.csv', preds);                     // filename,label
 *   writePredictions('out.json', preds, { skipped, extra: { checkpoints } });
 */
export function writePredictions(
  path: string,
  predictions: readonly ImagePrediction[],
  options: { labelColumn?: string; skipped?: readonly SkippedFile[]; extra?: Record<string, unknown> } = {},
): void {
  let text: string;
  if (/\.csv$/i.test(path)) {
    const lines = [`filename,${csvField(options.labelColumn ?? 'label')}`, ...predictions.map((p) => `${csvField(p.filename)},${csvField(p.top[0]!.label)}`)];
    text = lines.join('\n') + '\n';
  } else if (/\.json$/i.test(path)) {
    text = JSON.stringify({ ...options.extra, predictions, skipped: options.skipped ?? [] }, null, 2) + '\n';
  } else {
    throw new PredictionError(`${path}: predictions are written as .csv or .json`);
  }
  writeFileAtomic(path, text);
}
