/**
 * The web page's files (src/serve/web/: html, css, js, shipped as they are, no build step and
 * no CDN), read once at start-up and served from memory at / and /web/*.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** src/serve/web, found from the compiled file (build/src/serve) or the source tree. */
export function webDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const dir of [join(here, 'web'), join(here, '../../../src/serve/web')]) if (existsSync(join(dir, 'index.html'))) return dir;
  throw new Error(`the web page's files are missing (looked in ${join(here, 'web')} and src/serve/web)`);
}

export function loadWebAssets(dir = webDir()): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const f of readdirSync(dir)) {
    const type = TYPES[extname(f)];
    if (type) out.set(f, { type, body: readFileSync(join(dir, f)) });
  }
  return out;
}
