/**
 * The web page's files (src/serve/web/: html, css, js, shipped as they are, no build step and
 * no CDN), read once at start-up and served from memory at / and /web/*; and what its
 * on-device mode loads: onnxruntime-web's WebAssembly build from the installed package
 * (/web/ort/*) and finegrain's own import-free modules compiled by tsc (/web/lib/*), the very
 * preprocessing and unknown verdict the server runs.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
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

/**
 * onnxruntime-web's files the page needs: the WebAssembly-only ES module and its SIMD +
 * threads runtime (onnxruntime-web 1.19+ ships only that build; it runs single-threaded
 * where the page is not cross-origin isolated).
 */
export const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

/** The folder of onnxruntime-web's dist files (null when the package is not installed). */
export function ortDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  } catch {
    return null;
  }
}

/** finegrain's modules the page imports, by served name → compiled file (no imports of their own). */
export const WEB_LIBS: Record<string, string> = {
  'pixels-to-input.js': '../pipeline/pixels-to-input.js',
  'logit-verdict.js': '../open-world/logit-verdict.js',
};

/** Files read on first request and kept (the 14 MB WebAssembly is not read unless the page asks). */
export function lazyFiles(files: Record<string, string>): (name: string) => { type: string; body: Buffer } | undefined {
  const cache = new Map<string, { type: string; body: Buffer }>();
  return (name) => {
    const path = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!path) return undefined;
    let hit = cache.get(name);
    if (!hit && existsSync(path)) cache.set(name, (hit = { type: TYPES[extname(name)] ?? 'application/octet-stream', body: readFileSync(path) }));
    return hit;
  };
}

/** The on-device mode's files: onnxruntime-web under ort/, finegrain's modules under lib/. */
export function onDeviceFiles(): { ort: ReturnType<typeof lazyFiles>; lib: ReturnType<typeof lazyFiles> } {
  const dir = ortDir();
  const ort = dir ? Object.fromEntries(ORT_FILES.map((f) => [f, join(dir, f)])) : {};
  const lib = Object.fromEntries(Object.entries(WEB_LIBS).map(([k, rel]) => [k, fileURLToPath(new URL(rel, import.meta.url))]));
  return { ort: lazyFiles(ort), lib: lazyFiles(lib) };
}
