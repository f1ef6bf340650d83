/**
 * After an epoch, choose next epoch's crop box for every training image from the current
 * model (the seed's attention-region random crop, or the SCDA baseline): predict each image
 * whole, take its attention map, pick the box. Also draws the chosen boxes on a few images,
 * so a person can see what the model attends to.
 */
import sharp from 'sharp';
import { autocast } from '../autograd/autocast.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Box, ImageDataset } from '../data/datasets/dataset.js';
import { subset } from '../data/datasets/compose.js';
import { Rng } from '../data/random.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { attentionMaps } from '../models/attention-map.js';
import { faultPoint } from '../fault-points.js';
import { evalLoader } from '../data/loader/eval-loader.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { attentionRegionCrop, scdaCrop } from './crop-boxes.js';
import type { Precision } from '../runtime/device-choice.js';

export interface CropRefreshOptions {
  method: 'attention' | 'scda';
  /** How the model sees the images (the run's preprocessing at the next epoch's size). */
  preprocess: PreprocessConfig;
  batchSize: number;
  device: Device;
  precision: Precision;
  channelsLast: boolean;
  threshold: number;
  candidates: number;
  cropSize: number;
  seed: number;
  epoch: number;
  workers?: number;
  /** The dataset indices to choose boxes for (default all; a data-parallel rank's share). */
  indices?: readonly number[];
}

/** Resolution of the maps the boxes are chosen on: fractions do not need full resolution. */
const MAP_SIDE = 64;

/** Boxes for every sample (undefined where the image could not be read). */
export async function chooseCropBoxes(model: ImageClassifier, ds: ImageDataset, o: CropRefreshOptions): Promise<(Box | undefined)[]> {
  const boxes: (Box | undefined)[] = new Array(ds.samples.length).fill(undefined);
  const indices = o.indices;
  // A box's random draw is seeded by the image's index in the whole set, so a rank's share
  // gets the boxes one process would choose for those images.
  const source = indices ? subset(ds, indices) : ds;
  const loader = evalLoader(source, { preprocess: o.preprocess, batchSize: o.batchSize, workers: o.workers });
  model.eval();
  const side = Math.min(MAP_SIDE, o.preprocess.inputSize);
  for await (const batch of loader.epoch(0)) {
    try {
      const maps = noGrad(() =>
        scope(() => {
          const x = batch.images.to({ device: o.device, memoryFormat: o.channelsLast ? 'channelsLast' : undefined });
          const f: Tensor =
            o.precision === 'float32'
              ? model.forwardFeatures(x)
              : autocast({ deviceType: o.device === 'cpu' ? 'cpu' : 'cuda', dtype: o.precision }, () => model.forwardFeatures(x));
          return attentionMaps(f, [side, side]).cpu().contiguous().toTypedArray() as Float32Array;
        }),
      );
      batch.indices.forEach((k, j) => {
        const index = indices ? indices[k]! : k;
        const map = { data: maps.subarray(j * side * side, (j + 1) * side * side), width: side, height: side };
        boxes[index] =
          o.method === 'scda'
            ? scdaCrop(map)
            : attentionRegionCrop(map, new Rng(o.seed, 'attention-crop', o.epoch, index), {
                threshold: o.threshold,
                candidates: o.candidates,
                cropSize: [o.cropSize, o.cropSize],
              });
      });
    } finally {
      batch.dispose();
    }
    faultPoint('crop-refresh');
  }
  return boxes;
}

/** A PNG contact sheet of the first `count` training images with their chosen boxes in red. */
export async function drawCropBoxes(path: string, ds: ImageDataset, boxes: readonly (Box | undefined)[], count: number): Promise<void> {
  const tile = 160;
  const picked = ds.samples.slice(0, count).map((s, i) => ({ s, box: boxes[i] }));
  const tiles = await Promise.all(
    picked.map(async ({ s, box }) => {
      try {
        const base = await sharp(s.path).rotate().resize(tile, tile, { fit: 'fill' }).removeAlpha().png().toBuffer();
        if (!box) return base;
        const rect = `<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="${tile}"><rect x="${box.x * tile}" y="${box.y * tile}" width="${box.width * tile}" height="${box.height * tile}" fill="none" stroke="red" stroke-width="3"/></svg>`;
        return await sharp(base)
          .composite([{ input: Buffer.from(rect) }])
          .png()
          .toBuffer();
      } catch {
        return null; // unreadable images are reported by the loader, not here
      }
    }),
  );
  const usable = tiles.filter((t) => t !== null) as Buffer[];
  if (!usable.length) return;
  const cols = Math.min(8, usable.length);
  const rows = Math.ceil(usable.length / cols);
  const png = await sharp({ create: { width: cols * tile, height: rows * tile, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(usable.map((input, i) => ({ input, left: (i % cols) * tile, top: Math.floor(i / cols) * tile })))
    .png()
    .toBuffer();
  writeFileAtomic(path, png);
}
