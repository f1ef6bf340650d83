/**
 * `finegrain setup`: finds (or, as root with apt-get, installs) libtorch and the system
 * libraries, then builds the native addon — the package's own install step, run by hand.
 * npm 11 skips dependencies' install scripts unless they are approved, so a project that
 * depends on finegrain runs this once (or approves the script: `npm install-scripts approve
 * finegrain`, then `npm rebuild finegrain`).
 *
 * @example
 *   npx finegrain setup
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from '../../usage-error.js';

const HELP = `usage: finegrain setup

Builds finegrain's native addon against libtorch, as its install step does: finds libtorch
(LIBTORCH, a Python with torch, or Debian's libtorch-dev, which it installs with apt-get when
run as root), the optional system libraries (Gloo for distributed training, oneDNN headers for
inference's convolution plans; it says which it skipped), then compiles the addon into the
package's build/native. Run it once after \`npm install finegrain\` when npm skipped the
package's install script (npm 11 does unless it is approved).

  --help   this text

example (in a project that depends on finegrain):
  npm install finegrain && npx finegrain setup && npx finegrain info`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(HELP);
    return;
  }
  // build/src/cli/commands/ -> the package root
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const r = spawnSync('bash', ['scripts/setup.sh', '--install'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new UsageError(`the set-up failed (exit ${r.status ?? r.signal}): see the lines above`);
  console.log('finegrain is set up: `npx finegrain info` shows the build');
}
