/**
 * The one place sharp is imported and configured. sharp decodes on libuv's thread pool
 * (UV_THREADPOOL_SIZE threads, default 4; set it in the environment before the process
 * starts, or before the first file/crypto/zlib call). The loader keeps many images in
 * flight, so each decode gets one libvips thread (`concurrency(1)`: a 224-px image gains
 * nothing from more, and more threads per image oversubscribe small machines) and
 * parallelism comes from images in flight. libvips' operation cache is off: every image
 * is decoded once per epoch, caching only costs memory.
 *
 * @example
 *   import { sharp } from './sharp.js';
 *   const meta = await sharp(bytes).metadata();
 */
import sharpModule from 'sharp';

sharpModule.cache(false);
sharpModule.concurrency(1);

/**
 * The sharp module, configured for the loader (one libvips thread per image, no operation cache);
 * import it from here rather than from 'sharp' so the configuration always applies.
 *
 * @example
 *   const { width, height } = await data.sharp(bytes).metadata();
 */
export const sharp = sharpModule;
