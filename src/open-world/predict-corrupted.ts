/**
 * Predictions on corrupted copies of a dataset: each image is decoded, resized to the
 * model's input size (sharp, the whole image as `eval` does), corrupted at a severity
 * (ImageNet-C corrupts at the network's input size too), measured by the quality gate, then
 * classified. Severity 0 is the clean image through the same path, the baseline the
 * relative accuracies divide by.
 *
 * @example
 *   const r = await predictCorrupted(loaded, ds, { corruption: 'dark', severity: 3, seed: 0 });
 *   r.correct; r.quality; // per image
 */
import sharp from 'sharp';
import { noGrad } from '../autograd/grad-mode.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { decodeImage } from '../data/decode/decode-image.js';
import type { RgbImage } from '../data/image.js';
import { normalizeBatch } from '../data/transforms/normalize.js';
import type { ImageClassifier } from '../models/classifier.js';
import { fromTypedArray } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Device } from '../tensor/device.js';
import type { Precision } from '../runtime/device-choice.js';
import { withPrecision } from '../evaluation/forward.js';
import { qualityMeasures, type QualityMeasures } from './quality.js';
import { corrupt, type CorruptionName } from '../data/corruptions/index.js';

export interface CorruptedPredictions {
  /** Per readable image: arg-max class, label, and quality measures of the corrupted input. */
  predicted: number[];
  labels: number[];
  correct: boolean[];
  quality: QualityMeasures[];
  paths: string[];
  skipped: { path: string; reason: string }[];
}

export interface PredictCorruptedOptions {
  corruption: CorruptionName | null;
  severity: number;
  seed?: number;
  imageSize: number;
  batchSize?: number;
  /** Measure quality only (no model run), e.g. for fitting the gate. */
  qualityOnly?: boolean;
  mean?: readonly number[];
  std?: readonly number[];
  /** Where the model lives (default 'cpu'). */
  device?: Device;
  /**
   * The precision the model runs in (default float32): a classifier's inference copy stores
   * its weights in bf16 and runs under autocast (models/prepare-for-inference.ts).
   */
  precision?: Precision;
}

/** Decodes a file and resizes the whole image to size × size (sharp), as the corruptions expect. */
export async function decodeResized(path: string, size: number): Promise<RgbImage> {
  const img = await decodeImage(path, { maxShortSide: Math.ceil(size * 1.15) });
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export async function predictCorrupted(model: ImageClassifier | null, ds: ImageDataset, options: PredictCorruptedOptions): Promise<CorruptedPredictions> {
  const out: CorruptedPredictions = { predicted: [], labels: [], correct: [], quality: [], paths: [], skipped: [] };
  const size = options.imageSize;
  const bs = options.batchSize ?? 32;
  model?.eval();
  for (let start = 0; start < ds.samples.length; start += bs) {
    const batch = ds.samples.slice(start, start + bs);
    const images = await Promise.all(
      batch.map(async (s) => {
        try {
          const clean = await decodeResized(s.path, size);
          return options.corruption && options.severity > 0
            ? await corrupt(clean, options.corruption, options.severity, { seed: options.seed ?? 0, key: s.path })
            : clean;
        } catch (e) {
          out.skipped.push({ path: s.path, reason: (e as Error).message.split('\n')[0]! });
          return null;
        }
      }),
    );
    const ok = batch.map((s, i) => ({ s, img: images[i] })).filter((x): x is { s: (typeof batch)[number]; img: RgbImage } => x.img !== null);
    if (!ok.length) continue;
    for (const { s, img } of ok) {
      out.quality.push(qualityMeasures({ ...img, channels: 3 }));
      out.labels.push(s.label);
      out.paths.push(s.path);
    }
    if (options.qualityOnly || !model) continue;
    const pixels = new Uint8Array(ok.length * size * size * 3);
    ok.forEach(({ img }, i) => pixels.set(img.data, i * size * size * 3));
    const pred = noGrad(() =>
      scope(() => {
        const device = options.device ?? 'cpu';
        const x = normalizeBatch(fromTypedArray(pixels, [ok.length, size, size, 3]).permute(0, 3, 1, 2).contiguous(), options.mean, options.std).to({ device });
        const logits = withPrecision(options.precision ?? 'float32', device, () => model.forward(x));
        return Array.from(logits.argmax(1).toTypedArray() as BigInt64Array, Number);
      }),
    );
    pred.forEach((p, i) => {
      out.predicted.push(p);
      out.correct.push(p === ok[i]!.s.label);
    });
  }
  return out;
}
