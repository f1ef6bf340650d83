/**
 * The one place sharp is imported and configured. sharp decodes on libuv's thread pool;
 * the loader keeps several images in flight, so each decode gets one libvips thread
 * (`concurrency(1)`: a 224-px crop gains nothing from more, and more threads per image
 * oversubscribe small machines) and parallelism comes from images in flight. libvips'
 * operation cache is off: every image is decoded once per epoch, caching only costs memory.
 *
 * @example
 *   import { sharp } from './sharp.js';
 *   const meta = await sharp(bytes).metadata();
 */
import sharpModule from 'sharp';
import { availableParallelism } from 'node:os';

sharpModule.cache(false);
sharpModule.concurrency(1);

export const sharp = sharpModule;

/**
 * How many decodes the loader should keep in flight by default: one per libuv pool thread
 * (UV_THREADPOOL_SIZE, default 4), at least two per core so a slow file does not idle a core.
 *
 * @example
 *   defaultDecodeConcurrency(); // 4 with the default UV_THREADPOOL_SIZE
 */
export function defaultDecodeConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(2, Math.min(pool, 2 * availableParallelism()));
}
