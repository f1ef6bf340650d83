/**
 * Recursive listing of image files under a folder, recording what it cannot use: entries
 * it cannot read, dangling links, files whose names are not image names. Hidden files
 * (".DS_Store", "._x.jpg") are ignored without a report.
 *
 * @example
 *   const report = new SkipReport();
 *   const files = listImages('data/birds/Albatross', report); // sorted absolute paths
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { SkipReport } from '../skip-report.js';

/** File name extensions sharp can decode (lower case, with the dot). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.jfif', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.heif'];

/**
 * Whether a file name has an image extension sharp can decode.
 *
 * @example
 *   isImageName('a.JPG'); // true
 */
export function isImageName(name: string, extensions: readonly string[] = IMAGE_EXTENSIONS): boolean {
  return extensions.includes(extname(name).toLowerCase());
}

/**
 * Image files under `dir`, sorted and recursive; what cannot be used goes to `report`.
 *
 * @example
 *   const files = listImages('data/birds/Albatross', report);
 */
export function listImages(dir: string, report: SkipReport, extensions: readonly string[] = IMAGE_EXTENSIONS): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      report.add(d, 'unreadable', e?.code ?? String(e));
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      let st;
      try {
        st = statSync(p); // follows links: a dangling one fails here
      } catch (caught) {
        const e = caught as NodeJS.ErrnoException | null;
        report.add(p, e?.code === 'ENOENT' ? 'missing' : 'unreadable', e?.code ?? String(e));
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (!st.isFile()) report.add(p, 'unreadable', 'not a regular file');
      else if (isImageName(name, extensions)) out.push(p);
      else report.add(p, 'unsupported-extension', extname(name) || 'no extension');
    }
  };
  walk(resolve(dir));
  return out;
}
