// finegrain as a dependency, tried as a new user would: `npm pack` the repository, install the
// tarball into a fresh project (its own node_modules; the npm cache may serve packages), and
// there: the tarball holds no tests, benchmarks or results; `npx finegrain --help` works;
// before the addon is built `npx finegrain info` says in one line how to build it;
// `npx finegrain setup` builds it; and `import { classifier } from 'finegrain'` classifies a
// photo with a checkpoint exactly as the repository does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { classifier } from '../../src/index.js';
import { tinyFixture } from '../serve/serve-support.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// A fresh project does not inherit the repository's npm settings: under `npm test`, npm exports
// this repository's .npmrc and lifecycle state as npm_* variables, which the consumer's npx would
// read (and warn about).
const CONSUMER_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT'));

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await exec(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env: CONSUMER_ENV });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: typeof err.code === 'number' ? err.code : -1 };
  }
}

test('npm pack, installed into a fresh project: --help, info, setup, and classifier() as in the repository', { timeout: 900_000 }, async () => {
  const fx = await tinyFixture();
  const photo = fx.photos.class_1![0]!;
  const clf = await classifier(fx.checkpoint, { precision: 'float32' });
  const expected = (await clf.classify(photo)).predictions[0]!.label;
  clf.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'fg-consumer-'));
  try {
    const packed = await sh('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
    assert.equal(packed.code, 0, packed.stderr);
    const [{ filename, files }] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path);
    assert.ok(
      paths.includes('build/src/index.js') && paths.includes('scripts/setup.sh') && paths.includes('src/serve/web/index.html'),
      'ships the build, its set-up and the page',
    );
    const stray = paths.filter((p) => /^(test|bench|build\/test|build\/bench|build\/native|docs)\//.test(p) || /results|\.test\.js$/.test(p));
    assert.deepEqual(stray, [], 'no tests, benchmarks, results or a prebuilt addon in the tarball');

    const project = join(dir, 'app');
    await sh('mkdir', ['-p', project], dir);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const installed = await sh('npm', ['install', join(dir, filename), '--no-audit', '--no-fund'], project, 600_000);
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(readdirSync(join(project, 'node_modules')).includes('finegrain'));

    const help = await sh('npx', ['finegrain', '--help'], project);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /usage: finegrain <command>/);

    // The install step built the addon (npm 11 runs it with a warning unless scripts are
    // denied; where it is skipped, `npx finegrain setup` is the way, checked next).
    const addon = join(project, 'node_modules/finegrain/build/native/finegrain.node');
    const builtAtInstall = existsSync(addon);
    // Without the addon, info says what to do in one line, and setup builds it.
    rmSync(join(project, 'node_modules/finegrain/build/native'), { recursive: true, force: true });
    const before = await sh('npx', ['finegrain', 'info'], project);
    assert.equal(before.code, 2, before.stderr);
    assert.match(before.stderr, /native addon is not built.*npx finegrain setup/);
    assert.equal(before.stderr.trim().split('\n').length, 1, before.stderr);
    const setup = await sh('npx', ['finegrain', 'setup'], project, 600_000);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout + setup.stderr, /distributed training \(c10d, Gloo\): (yes|skipped)/);
    assert.ok(existsSync(addon), 'setup built the addon');
    if (!builtAtInstall) console.error('note: npm skipped the install step here; setup built the addon');
    const info = await sh('npx', ['finegrain', 'info'], project);
    assert.equal(info.code, 0, info.stderr);

    writeFileSync(
      join(project, 'classify.mjs'),
      `import { classifier } from 'finegrain';
const clf = await classifier(process.argv[2], { precision: 'float32' });
console.log((await clf.classify(process.argv[3])).predictions[0].label);
clf.dispose();
`,
    );
    const answer = await sh('node', ['classify.mjs', fx.checkpoint, photo], project);
    assert.equal(answer.code, 0, answer.stderr);
    assert.equal(answer.stdout.trim(), expected, 'the installed package answers as the repository does');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
