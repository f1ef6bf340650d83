// Runs every compiled test file (build/test/**/*.test.js) with Node's test runner.
// Extra arguments filter test files by substring: `npm test -- safetensors`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'build/test';
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!filters.length || filters.some((f) => p.includes(f)))) files.push(p);
  }
})(root);
files.sort();
// With no file named, `node --test` would discover and run every test file it finds itself.
if (filters.length && !files.length) {
  console.error(`no test file under ${root} matches ${filters.map((f) => JSON.stringify(f)).join(' or ')}`);
  process.exit(1);
}
console.log(`running ${files.length} test files: ${files.map((f) => relative(root, f)).join(' ')}`);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
