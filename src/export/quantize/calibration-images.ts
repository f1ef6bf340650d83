/**
 * Calibration batches for int8 quantisation: up to `count` images of a folder (class
 * folders or a flat folder), spread evenly over it, preprocessed exactly as the exported
 * model expects (finegrain's eval pipeline: resize, normalise), as float32 NCHW arrays.
 *
 * @example
 *   const batches = await calibrationBatches('birds/train', { count: 128, preprocessing });
 */
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { imageFolder } from '../../data/datasets/image-folder.js';
import { unlabeledFolder } from '../../data/datasets/unlabeled.js';
import type { ImageDataset } from '../../data/datasets/dataset.js';
import { evalLoader } from '../../data/loader/eval-loader.js';
import type { Preprocessing } from '../metadata.js';

/** One calibration batch: float32 NCHW elements and dims. */
export interface CalibrationBatch {
  data: Float32Array;
  dims: [number, number, number, number];
}

function openFolder(root: string): ImageDataset {
  const hasSubfolders = readdirSync(root).some((e) => statSync(join(root, e)).isDirectory());
  return hasSubfolders ? imageFolder(root) : unlabeledFolder(root);
}

export async function calibrationBatches(
  root: string,
  options: { count: number; preprocessing: Preprocessing; batchSize?: number },
): Promise<CalibrationBatch[]> {
  const all = openFolder(root);
  if (all.samples.length === 0) throw new Error(`no images found in ${root} to calibrate on`);
  const { inputSize } = options.preprocessing;
  if (inputSize[0] !== inputSize[1]) throw new Error('calibration: non-square input sizes are not supported');
  // Evenly spaced picks cover every class of a class-folder dataset (sorted by class).
  const step = Math.max(1, all.samples.length / options.count);
  const samples = Array.from({ length: Math.min(options.count, all.samples.length) }, (_, i) => all.samples[Math.floor(i * step)]!);
  const ds: ImageDataset = { ...all, samples };
  const p = options.preprocessing;
  const preprocess = { inputSize: inputSize[0], interpolation: 'bilinear' as const, cropFraction: p.cropFraction, mean: p.mean, std: p.std };
  const loader = evalLoader(ds, { preprocess, batchSize: options.batchSize ?? 16, workers: 2 });
  const out: CalibrationBatch[] = [];
  for await (const batch of loader.epoch(0)) {
    try {
      out.push({ data: batch.images.toTypedArray() as Float32Array, dims: batch.images.shape as [number, number, number, number] });
    } finally {
      batch.dispose();
    }
  }
  if (out.length === 0) throw new Error(`none of the images in ${root} could be read (see the loader's skip report)`);
  return out;
}
