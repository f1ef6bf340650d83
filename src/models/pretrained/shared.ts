/**
 * Where the project's reference material lives: `../shared` beside the repository (weights
 * and datasets that are never committed), or the folder `FINEGRAIN_SHARED` names. Users of a
 * fresh clone have no such folder; callers check `existsSync` and say so.
 *
 * @example
 *   sharedPath('weights', 'mobilenetv2-12-int8.onnx');   // /work/shared/weights/mobilenetv2-12-int8.onnx
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs as build/src/models/pretrained/shared.js: four levels below the repository.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The shared folder (FINEGRAIN_SHARED, else `<repo>/../shared`), or a path inside it.
 * @example sharedPath('data', 'cub100', 'images');
 */
export function sharedPath(...parts: string[]): string {
  const base = process.env.FINEGRAIN_SHARED ?? join(REPO_ROOT, '..', 'shared');
  return join(base, ...parts);
}

/** The int8 ImageNet MobileNetV2 from the ONNX Model Zoo (1000 classes). */
export const MOBILENET_V2_ONNX = ['weights', 'mobilenetv2-12-int8.onnx'] as const;
/** TensorFlow's ImageNet labels (1001 lines, 'background' first). */
export const IMAGENET_LABELS = ['weights', 'imagenet_labels.txt'] as const;
