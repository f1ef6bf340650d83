// Writes src/native/aten-ops.generated.ts: the TypeScript call signature of every ATen operator
// overload that src/ names in a string literal (`aten('conv2d')`, `aten('add.Tensor')`), derived
// from the operator schemas of the libtorch the addon is built against (native.schemas()), as
// tch-rs generates its bindings from the operator declarations. Needs the compiled tree
// (`node_modules/.bin/tsc -p tsconfig.json`) and the built addon.
//   node scripts/generate-aten-types.mjs           rewrites the file
//   node scripts/generate-aten-types.mjs --stdout  prints it instead (the test compares that)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'src/native/aten-ops.generated.ts');
const { native } = await import(join(root, 'build/src/native/binding.js'));
const { parseSchema, usedOperators, renderDeclarations } = await import(join(root, 'build/src/native/aten-schema.js'));
const { writeFileAtomic } = await import(join(root, 'build/src/io/atomic-write.js'));

const sources = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts') && p !== target) sources.push(readFileSync(p, 'utf8'));
  }
})(join(root, 'src'));

const schemas = native.schemas().map(parseSchema);
const text = renderDeclarations(usedOperators(sources, schemas), native.buildInfo().torchVersion);
const config = (await prettier.resolveConfig(target)) ?? {};
const formatted = await prettier.format(text, { ...config, filepath: target });
if (process.argv.includes('--stdout')) process.stdout.write(formatted);
else {
  writeFileAtomic(target, formatted);
  console.log(`wrote ${target}`);
}
