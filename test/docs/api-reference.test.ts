// The API reference (`npm run docs`, typedoc.json): TypeDoc converts the package's entry points
// without a single warning, so every export is documented, every type a public signature uses
// is exported, and every {@link} resolves. A second run on a tiny fixture with the same options
// shows the check fails, and names what is wrong: an export without a comment, a type a public
// signature uses that is not exported, a subclass with only its parent's comment, and a comment
// on a re-export that TypeDoc would hand to every symbol it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// build/test/docs/api-reference.test.js -> the repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));
// FINEGRAIN_TYPEDOC points at another install (a typedoc binary) for a checkout without one.
const typedoc = process.env.FINEGRAIN_TYPEDOC ?? join(root, 'node_modules/.bin/typedoc');
const missing = existsSync(typedoc) ? false : `typedoc is not installed at ${typedoc} (npm ci installs it; FINEGRAIN_TYPEDOC names another binary)`;

interface Run {
  status: number | null;
  output: string;
}

/** Runs TypeDoc with the repository's typedoc.json and extra arguments; output without colours. */
function runTypedoc(args: string[]): Run {
  const r = spawnSync(typedoc, ['--options', join(root, 'typedoc.json'), '--emit', 'none', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  // eslint-disable-next-line no-control-regex
  return { status: r.status, output: `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

/** A JSON file that may hold comments, as TypeScript (and TypeDoc) read tsconfig.json and typedoc.json. */
function readJsonWithComments(path: string): Record<string, unknown> {
  const { config, error } = ts.readConfigFile(path, (p) => readFileSync(p, 'utf8'));
  if (error) throw new Error(`${path}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return config as Record<string, unknown>;
}

test('typedoc.json documents exactly the entry points of package.json "exports"', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
  // "./build/src/serve/index.d.ts" is compiled from "src/serve/index.ts" (tsconfig's rootDir is the root).
  const fromExports = Object.entries(pkg.exports).map(([key, target]) => {
    const m = /^\.\/build\/(src\/.+)\.d\.ts$/.exec(target.types);
    assert.ok(m, `package.json exports["${key}"].types is not a declaration file under build/src: ${target.types}`);
    return `${m[1]}.ts`;
  });
  const entryPoints = readJsonWithComments(join(root, 'typedoc.json')).entryPoints as string[];
  assert.deepEqual([...entryPoints].sort(), [...fromExports].sort());
  for (const p of entryPoints) assert.ok(existsSync(join(root, p)), `${p} does not exist`);
});

test('TypeDoc builds the API reference with no warning (every export documented, every link resolved)', { skip: missing }, () => {
  const started = performance.now();
  const r = runTypedoc([]);
  const problems = r.output.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
  assert.deepEqual(problems, [], `typedoc reported:\n${problems.join('\n')}`);
  assert.equal(r.status, 0, r.output);
  console.log(`typedoc: ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

test('the check fails on a fixture with each kind of documentation gap, naming each', { skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'finegrain-typedoc-'));
  try {
    // A package of its own: TypeDoc checks that types referenced from the documented package are exported by it.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] },
        files: ['index.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'index.ts'),
      [
        '/**',
        ' * A fixture package.',
        ' * @module',
        ' */',
        '',
        '/** Adds one. */',
        'export function documentedExport(x: number): number {',
        '  return x + 1;',
        '}',
        '',
        'export function undocumentedExport(x: number): number {',
        '  return x - 1;',
        '}',
        '',
        'interface HiddenShape {',
        '  /** A side, in pixels. */',
        '  side: number;',
        '}',
        '',
        '/** A square of side `side`. */',
        'export function square(side: number): HiddenShape {',
        '  return { side };',
        '}',
        '',
        '/** A counter that starts at zero. */',
        'export class Counter {',
        '  /** The count so far. */',
        '  count = 0;',
        '}',
        '',
        'export class StepCounter extends Counter {}',
        '',
        '/** Helpers. */',
        "export { helperOne, helperTwo } from './helpers.js';",
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'helpers.ts'), 'export function helperOne(): number {\n  return 1;\n}\n\nexport function helperTwo(): number {\n  return 2;\n}\n');
    const r = runTypedoc(['--name', 'fixture', '--tsconfig', join(dir, 'tsconfig.json'), '--entryPoints', join(dir, 'index.ts')]);
    assert.notEqual(r.status, 0, `typedoc passed the fixture:\n${r.output}`);
    assert.match(r.output, /undocumentedExport[^\n]*does not have any documentation/);
    assert.match(r.output, /HiddenShape[^\n]*is referenced by[^\n]*square[^\n]*not included in the documentation/);
    // TypeDoc would show Counter's comment for StepCounter; scripts/typedoc-own-comments.mjs reports it.
    assert.match(r.output, /StepCounter[^\n]*no doc comment of its own/);
    // TypeDoc would give helperOne and helperTwo the re-export's comment; the same plugin reports it.
    assert.match(r.output, /index\.ts:\d+: the doc comment on this re-export/);
    assert.doesNotMatch(r.output, /\bdocumentedExport[^\n]*does not have any documentation/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
