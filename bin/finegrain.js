#!/usr/bin/env node
// The `finegrain` command: the compiled CLI lives in build/src/cli/main.js (npm run setup builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../build/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('finegrain is not built yet: run `npm run setup` in the package folder.');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
