/**
 * Stage 2 of bench/open-world: for a fixed, seeded subset of test images, the frozen
 * embeddings of the clean image and of every corruption at severity 3 (through one path:
 * decode, resize to 224 × 224, corrupt, embed), and the quality-gate measures of every
 * corruption at severities 1–5. Cached (safetensors / JSON) so reruns are free.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autocast } from '../../src/autograd/autocast.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import type { RgbImage } from '../../src/data/image.js';
import { normalizeBatch } from '../../src/data/transforms/normalize.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import type { ImageClassifier } from '../../src/models/classifier.js';
import { corrupt, CORRUPTIONS, type CorruptionName } from '../../src/open-world/corruptions/index.js';
import { decodeResized } from '../../src/open-world/corruptions/predict-corrupted.js';
import { qualityMeasures, type QualityMeasures } from '../../src/open-world/quality.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';

export const SIZE = 224;

async function embedImages(model: ImageClassifier, images: RgbImage[]): Promise<Float32Array> {
  const d = model.numFeatures;
  const out = new Float32Array(images.length * d);
  for (let s = 0; s < images.length; s += 32) {
    const part = images.slice(s, s + 32);
    const px = new Uint8Array(part.length * SIZE * SIZE * 3);
    part.forEach((im, i) => px.set(im.data, i * SIZE * SIZE * 3));
    const e = noGrad(() =>
      scope(() => {
        const x = normalizeBatch(fromTypedArray(px, [part.length, SIZE, SIZE, 3]).permute(0, 3, 1, 2).contiguous()).contiguous('channelsLast');
        return autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => model.forwardEmbedding(x))
          .float()
          .toTypedArray() as Float32Array;
      }),
    );
    out.set(e, s * d);
  }
  return out;
}

/** Embeddings [N, D] of the clean subset and of each corruption at `severity`, cached under `file`. */
export async function corruptedEmbeddings(
  file: string,
  backbone: () => ImageClassifier,
  paths: string[],
  severity = 3,
  seed = 0,
): Promise<Record<'clean' | CorruptionName, Float32Array>> {
  const names = ['clean', ...CORRUPTIONS] as const;
  if (existsSync(file)) {
    const { tensors } = loadSafetensors(file);
    const out = {} as Record<'clean' | CorruptionName, Float32Array>;
    for (const n of names) {
      out[n] = new Float32Array(tensors[n]!.toTypedArray() as Float32Array);
      tensors[n]!.dispose();
    }
    return out;
  }
  const model = backbone();
  model.to({ memoryFormat: 'channelsLast' });
  const clean = await Promise.all(paths.map((p) => decodeResized(p, SIZE)));
  const out = {} as Record<'clean' | CorruptionName, Float32Array>;
  const t0 = Date.now();
  for (const n of names) {
    const imgs = n === 'clean' ? clean : await Promise.all(clean.map((im, i) => corrupt(im, n, severity, { seed, key: paths[i]! })));
    out[n] = await embedImages(model, imgs);
    console.log(`[corrupt ${((Date.now() - t0) / 1000).toFixed(0)} s] ${n} s${severity}: ${paths.length} images`);
  }
  mkdirSync(join(file, '..'), { recursive: true });
  const d = model.numFeatures;
  scope(() => saveSafetensors(file, Object.fromEntries(names.map((n) => [n, fromTypedArray(out[n], [paths.length, d])]))));
  return out;
}

export interface GateMeasures {
  clean: QualityMeasures[];
  corrupted: Record<CorruptionName, Record<number, QualityMeasures[]>>;
}

/** Quality measures of the clean images and of every corruption at every severity, cached as JSON. */
export async function gateMeasures(file: string, paths: string[], seed = 0): Promise<GateMeasures> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GateMeasures;
  const clean = await Promise.all(paths.map((p) => decodeResized(p, SIZE)));
  const out: GateMeasures = { clean: clean.map((im) => qualityMeasures({ ...im, channels: 3 })), corrupted: {} as GateMeasures['corrupted'] };
  const t0 = Date.now();
  for (const n of CORRUPTIONS) {
    out.corrupted[n] = {};
    for (const s of [1, 2, 3, 4, 5]) {
      const imgs = await Promise.all(clean.map((im, i) => corrupt(im, n, s, { seed, key: paths[i]! })));
      out.corrupted[n][s] = imgs.map((im) => qualityMeasures({ ...im, channels: 3 }));
    }
    console.log(`[gate ${((Date.now() - t0) / 1000).toFixed(0)} s] ${n}`);
  }
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  return out;
}
