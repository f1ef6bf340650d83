/**
 * Stage 1 of bench/open-world: caches the frozen MobileNetV2 embeddings of cub100 (train and
 * test) and cars33 (train and test) at 224 px, so the benchmark's later stages (heads, OOD
 * scores, calibration) run in seconds. `run.ts` calls it; it can run alone to warm the cache.
 */
import { join } from 'node:path';
import { loadPretrainedModel } from '../../src/models/pretrained/load-pretrained-model.js';
import type { ImageClassifier } from '../../src/models/classifier.js';
import { openLabeled } from '../../src/train/datasets.js';
import { randomHorizontalFlip, resize } from '../../src/data/transforms/geometry.js';
import { cachedEmbeddings, type Embedded } from './embed.js';

export interface CleanEmbeddings {
  cubTrain: Embedded;
  cubTest: Embedded;
  carsTrain: Embedded;
  carsTest: Embedded;
  cubClasses: readonly string[];
  carsClasses: readonly string[];
}

let backbone: ImageClassifier | null = null;
/** The frozen backbone, built once. */
export function frozenBackbone(): ImageClassifier {
  backbone ??= loadPretrainedModel('mobilenet_v2');
  return backbone;
}

export async function cleanEmbeddings(shared: string, cache: string, imageSize = 224): Promise<CleanEmbeddings> {
  const cub = join(shared, 'data/cub100');
  const cars = join(shared, 'data/cars33');
  const cubTrainDs = openLabeled(cub, { split: 'train' });
  const cubTestDs = openLabeled(cub, { split: 'test', classes: cubTrainDs.classes });
  const carsTrainDs = openLabeled(join(cars, 'train'));
  const carsTestDs = openLabeled(join(cars, 'test'), { classes: carsTrainDs.classes });
  const t0 = Date.now();
  const log = (s: string) => console.log(`[embed ${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}`);
  const carsTrain = await cachedEmbeddings(join(cache, `cars-train-${imageSize}.safetensors`), frozenBackbone, carsTrainDs, { imageSize });
  log(`cars train ${carsTrain.n}`);
  const carsTest = await cachedEmbeddings(join(cache, `cars-test-${imageSize}.safetensors`), frozenBackbone, carsTestDs, { imageSize });
  log(`cars test ${carsTest.n}`);
  const cubTrain = await cachedEmbeddings(join(cache, `cub-train-${imageSize}.safetensors`), frozenBackbone, cubTrainDs, { imageSize });
  log(`cub train ${cubTrain.n}`);
  const cubTest = await cachedEmbeddings(join(cache, `cub-test-${imageSize}.safetensors`), frozenBackbone, cubTestDs, { imageSize });
  log(`cub test ${cubTest.n}`);
  return { cubTrain, cubTest, carsTrain, carsTest, cubClasses: cubTrainDs.classes, carsClasses: carsTrainDs.classes };
}

/**
 * The mirror images of cub100's training and test photos (the clean view, flipped left to
 * right), row-aligned with `cleanEmbeddings`: the long-tail stage's extra training view and
 * its test-time augmentation.
 */
export async function mirroredCubEmbeddings(shared: string, cache: string, imageSize = 224): Promise<{ cubTrain: Embedded; cubTest: Embedded }> {
  const cub = join(shared, 'data/cub100');
  const trainDs = openLabeled(cub, { split: 'train' });
  const testDs = openLabeled(cub, { split: 'test', classes: trainDs.classes });
  const views = [resize([imageSize, imageSize]), randomHorizontalFlip(1)];
  const cubTrain = await cachedEmbeddings(join(cache, `cub-train-${imageSize}-flip.safetensors`), frozenBackbone, trainDs, { imageSize, views });
  const cubTest = await cachedEmbeddings(join(cache, `cub-test-${imageSize}-flip.safetensors`), frozenBackbone, testDs, { imageSize, views });
  return { cubTrain, cubTest };
}

if (process.argv[1]?.endsWith('stage-embed.js')) {
  const root = new URL('../../..', import.meta.url).pathname;
  await cleanEmbeddings(join(root, '../shared'), join(root, 'runs/open-world/cache'));
}
