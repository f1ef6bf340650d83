/**
 * Stage 2 of bench/open-world: for a fixed, seeded subset of test images, the frozen
 * embeddings of the clean image and of every corruption at severity 3 (through one path:
 * decode, resize to 224 × 224, corrupt, embed), and of training images each corrupted at
 * random (the frozen form of --corruption-augment). Cached (safetensors) so reruns are free.
 * The quality gate's measures are stage-gate.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { autocast } from '../../src/autograd/autocast.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import type { RgbImage } from '../../src/data/image.js';
import { normalizeBatch } from '../../src/data/transforms/normalize.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import type { ImageClassifier } from '../../src/models/classifier.js';
import { Rng } from '../../src/data/random.js';
import { corrupt, CORRUPTIONS, type CorruptionName } from '../../src/data/corruptions/index.js';
import { decodeResized } from '../../src/open-world/predict-corrupted.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { holdTensorCache } from '../../src/runtime/tensor-cache.js';
import { scope } from '../../src/tensor/scope.js';

export const SIZE = 224;

async function embedImages(model: ImageClassifier, images: RgbImage[]): Promise<Float32Array> {
  const d = model.numFeatures;
  const out = new Float32Array(images.length * d);
  const release = holdTensorCache(); // each chunk reuses the previous one's activation blocks
  try {
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
  } finally {
    release();
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

/**
 * Embeddings of training images each given one random corruption (name and severity 1–5
 * drawn per image, seeded) — the frozen-backbone version of the corruptionAugment option:
 * a head trained on clean + these embeddings. Cached.
 */
export async function augmentedEmbeddings(file: string, backbone: () => ImageClassifier, paths: string[], seed = 7): Promise<Float32Array> {
  if (existsSync(file)) {
    const { tensors } = loadSafetensors(file);
    const out = new Float32Array(tensors.embeddings!.toTypedArray() as Float32Array);
    tensors.embeddings!.dispose();
    return out;
  }
  const model = backbone();
  model.to({ memoryFormat: 'channelsLast' });
  const out = new Float32Array(paths.length * model.numFeatures);
  const t0 = Date.now();
  for (let s = 0; s < paths.length; s += 64) {
    const part = paths.slice(s, s + 64);
    const imgs = await Promise.all(
      part.map(async (p) => {
        const rng = new Rng(seed, 'augment', p);
        const name = CORRUPTIONS[rng.int(CORRUPTIONS.length)]!;
        return corrupt(await decodeResized(p, SIZE), name, 1 + rng.int(5), { seed, key: p });
      }),
    );
    out.set(await embedImages(model, imgs), s * model.numFeatures);
    console.log(`[augment ${((Date.now() - t0) / 1000).toFixed(0)} s] ${Math.min(paths.length, s + 64)}/${paths.length}`);
  }
  mkdirSync(join(file, '..'), { recursive: true });
  scope(() => saveSafetensors(file, { embeddings: fromTypedArray(out, [paths.length, model.numFeatures]) }));
  return out;
}
