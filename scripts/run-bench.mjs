// Runs one benchmark: `node scripts/run-bench.mjs <name> [options]` runs the compiled
// build/bench/<name>/run.js (from bench/<name>/run.ts) with the remaining options.
// `npm run bench -- engine --quick` builds first (scripts/setup.sh --test), then comes here.
// Without a name (or with --list) it lists the benchmarks that are built. A benchmark with C++
// of its own (bench/<name>/*.cc, e.g. engine's timing floors) gets its addon built first
// (scripts/build-native.mjs --bench); the library's addon never contains it.
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build/bench');

function available() {
  if (!existsSync(built)) return [];
  return readdirSync(built)
    .filter((name) => existsSync(join(built, name, 'run.js')))
    .sort();
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--list' || name === '--help') {
  const names = available();
  console.log(`usage: npm run bench -- <name> [options]   (<name> --help lists its options)`);
  console.log(`benchmarks: ${names.length ? names.join(', ') : 'none built yet (run npm run build)'}`);
  process.exit(name ? 0 : 1);
}

const entry = join(built, name, 'run.js');
if (!existsSync(entry)) {
  const hint = existsSync(join(root, 'bench', name, 'run.ts')) ? ' (bench/' + name + '/run.ts exists: build it with npm run build)' : '';
  console.error(`no benchmark '${name}'${hint}; built benchmarks: ${available().join(', ') || 'none'}`);
  process.exit(1);
}

if (readdirSync(join(root, 'bench', name)).some((f) => f.endsWith('.cc'))) {
  const b = spawnSync(process.execPath, [join(root, 'scripts/build-native.mjs'), '--bench'], { stdio: 'inherit', cwd: root });
  if (b.error) throw b.error;
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const r = spawnSync(process.execPath, [entry, ...rest], { stdio: 'inherit', cwd: root });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
