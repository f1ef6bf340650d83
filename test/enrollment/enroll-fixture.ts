/**
 * What the enrollment tests start from: a calibrated copy of the tiny fixture's checkpoint (so
 * the shared fixture never gets sidecars) and photos of a class it never saw (class_3, yellow).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate } from '../../src/open-world/calibrate-checkpoint.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';

/** The fixture, the calibrated copy's path, and the 10 photos of the unseen class. */
export interface EnrollFixture {
  fx: Fixture;
  ckpt: string;
  newPhotos: string[];
}

/** Writes the copy and the photos under `dir` (a fresh temp folder of the caller's). */
export async function enrollFixture(dir: string): Promise<EnrollFixture> {
  const fx = await tinyFixture();
  mkdirSync(join(dir, 'ckpt'));
  const ckpt = join(dir, 'ckpt', 'best.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32', head: 'trained' });
  await writeTinyDataset(join(dir, 'new'), { classes: 4, perClass: 10, seed: 11, size: 48 });
  const newPhotos = Array.from({ length: 10 }, (_, i) => join(dir, 'new', 'class_3', `${i}.png`));
  return { fx, ckpt, newPhotos };
}
