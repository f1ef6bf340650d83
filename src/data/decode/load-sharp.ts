/**
 * sharp (sharp.ts, configured) on first use. A module that only sometimes decodes — the image
 * decoder that a server's inference thread imports but never calls — takes sharp through this,
 * so a thread that decodes nothing does not hold sharp's JavaScript and libvips's per-thread
 * state (9.8 MiB of the inference thread's memory, bench/serve/README.md).
 *
 * @example
 *   const sharp = await loadSharp();
 *   const meta = await sharp(bytes).metadata();
 */
import type { sharp as configuredSharp } from './sharp.js';

let loading: Promise<typeof configuredSharp> | null = null;

/** The configured sharp module, imported the first time it is asked for. */
export function loadSharp(): Promise<typeof configuredSharp> {
  loading ??= import('./sharp.js').then((m) => m.sharp);
  return loading;
}
