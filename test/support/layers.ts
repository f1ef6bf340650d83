/**
 * The import-direction rule of src/: each top-level folder is a layer with a rank, and a
 * file may import only from its own folder or from folders of lower rank. Folders of the
 * same rank are siblings that must not import each other (training and inference; export
 * and open-world). `checkLayers` returns every import that breaks the rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Layers, lowest first. A new top-level folder of src/ must be added here (the test fails until it is). */
export const LAYERS: readonly (readonly string[])[] = [
  ['usage-error.ts', 'fault-points.ts', 'native'],
  ['tensor'],
  ['runtime', 'autograd'],
  ['nn'],
  ['optim', 'distributed'],
  ['io'],
  ['models'],
  ['hub'],
  ['data'],
  ['evaluation'],
  ['train'],
  ['infer', 'export', 'open-world', 'pretrain'],
  ['hierarchy', 'enrollment'],
  ['pipeline'],
  ['serve', 'active-learning'],
  ['cli'],
  ['index.ts'],
];

export interface LayerViolation {
  file: string;
  imports: string;
  reason: string;
}

function rankOf(top: string): number {
  return LAYERS.findIndex((l) => l.includes(top));
}

/** Relative import specifiers of a TypeScript source (static, dynamic and type-only). */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The layer (top-level entry of src/) a path under `srcDir` belongs to. */
function topOf(srcDir: string, path: string): string {
  return relative(srcDir, path).split(sep)[0]!.replace(/\.js$/, '.ts');
}

/** Checks `files` (path → source text) that live under `srcDir`. */
export function checkSources(srcDir: string, files: ReadonlyMap<string, string>): LayerViolation[] {
  const bad: LayerViolation[] = [];
  for (const [file, text] of files) {
    const from = topOf(srcDir, file);
    const fromRank = rankOf(from);
    const rel = relative(srcDir, file);
    if (fromRank < 0) {
      bad.push({ file: rel, imports: '', reason: `'${from}' is in no layer: add it to LAYERS in test/support/layers.ts` });
      continue;
    }
    for (const spec of importSpecifiers(text)) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcDir + sep)) {
        bad.push({ file: rel, imports: spec, reason: 'imports from outside src/' });
        continue;
      }
      const to = topOf(srcDir, target);
      if (to === from) continue;
      const toRank = rankOf(to);
      if (toRank < 0) bad.push({ file: rel, imports: spec, reason: `'${to}' is in no layer` });
      else if (toRank > fromRank) bad.push({ file: rel, imports: spec, reason: `${from} (layer ${fromRank}) imports ${to} (layer ${toRank}), a higher layer` });
      else if (toRank === fromRank) bad.push({ file: rel, imports: spec, reason: `${from} and ${to} are sibling layers and must not import each other` });
    }
  }
  return bad;
}

/** Every .ts file under `srcDir`, with its text. */
export function readSources(srcDir: string): Map<string, string> {
  const files = new Map<string, string>();
  (function walk(dir: string) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) files.set(p, readFileSync(p, 'utf8'));
    }
  })(srcDir);
  return files;
}
