// The project's lint: eslint (typescript-eslint's recommended rules, eslint.config.js) and
// prettier's formatting check (.prettierrc.json) over src, test, bench and scripts. `npm test`
// runs it before the tests; `node scripts/lint.mjs --fix` rewrites what the tools can fix.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const bin = (name) => join(root, 'node_modules/.bin', name);
const files = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.mjs', 'bin/*.js', 'eslint.config.js'];

function step(label, cmd, args) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  console.log(`lint: ${label} ${r.status === 0 ? 'clean' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}

const eslintOk = step('eslint', bin('eslint'), [...(fix ? ['--fix'] : []), 'src', 'test', 'bench', 'examples', 'scripts', 'bin', 'eslint.config.js']);
const prettierOk = step('prettier', bin('prettier'), [fix ? '--write' : '--check', '--log-level', 'warn', ...files]);
if (!eslintOk || !prettierOk) {
  console.error('lint failed: fix the reports above (node scripts/lint.mjs --fix fixes formatting)');
  process.exit(1);
}
