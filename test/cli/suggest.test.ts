/**
 * `finegrain suggest` as a user runs it: usage errors are one line with status 2, a corrupt
 * photo in the folder is reported and the run goes on, the CSV goes to --out or stdout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUGGESTION_COLUMNS } from '../../src/active-learning/suggestion-csv.js';
import { parseCsv } from '../../src/data/datasets/parse-csv.js';
import { suggestFixture, type SuggestFixture } from '../active-learning/suggest-fixture.js';
import { runCli } from './cli-support.js';

let dir: string;
let f: SuggestFixture;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-suggest-cli-'));
  f = await suggestFixture(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--help explains every option', () => {
  const r = runCli(['suggest', '--help']);
  assert.equal(r.status, 0, r.stderr);
  const flags = [
    '--checkpoint',
    '--unlabeled',
    '--count',
    '--out',
    '--labeled',
    '--uncertainty',
    '--pool-factor',
    '--duplicate-similarity',
    '--outlier-fraction',
    '--batch-size',
    '--device',
    '--precision',
    '--no-ema',
  ];
  for (const flag of flags) assert.match(r.stdout, new RegExp(`^  ${flag} `, 'm'), `${flag} is not explained`);
  assert.match(r.stdout, /margin.*entropy/s);
  assert.match(runCli(['--help']).stdout, /suggest\s+which unlabelled photos to label next/);
});

test('usage errors: one line, status 2, nothing written', () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const out = join(dir, 'never.csv');
  const cases: [string[], RegExp][] = [
    [['--unlabeled', f.inbox, '--count', '3'], /--checkpoint FILE is required/],
    [['--checkpoint', join(dir, 'missing.safetensors'), '--unlabeled', f.inbox, '--count', '3'], /checkpoint not found: .*missing\.safetensors/],
    [['--checkpoint', f.ckpt, '--count', '3'], /--unlabeled DIR is required/],
    [['--checkpoint', f.ckpt, '--unlabeled', empty, '--count', '3', '--out', out], /no photos in .*empty/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox], /--count N is required/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '0'], /--count must be a positive integer, got '0'/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count=-4'], /--count must be a positive integer, got '-4'/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', 'ten'], /--count must be a positive integer, got 'ten'/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '2', '--uncertainty', 'variance'], /--uncertainty must be margin or entropy, got 'variance'/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '2', '--pool-factor', '0.5'], /--pool-factor must be a number of at least 1/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '2', '--duplicate-similarity', '1.5'], /--duplicate-similarity must be a number in \(0, 1\]/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '2', '--labeled', join(dir, 'nowhere')], /labeled folder not found/],
    [['--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '2', '--outlier-fraction', '1'], /--outlier-fraction must be a number in \[0, 1\)/],
  ];
  for (const [args, msg] of cases) {
    const r = runCli(['suggest', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.throws(() => readFileSync(out));
});

test('a corrupt photo in the folder is reported and the run goes on; the CSV goes to --out, or to stdout', () => {
  const out = join(dir, 'to-label.csv');
  const r = runCli(['suggest', '--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '4', '--uncertainty', 'entropy', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`skipped ${f.corrupt.replace(/[.]/g, '\\.')}: not-an-image`));
  assert.match(r.stderr, /skipped .*truncated\.jpg: (truncated|corrupt)/);
  assert.match(r.stderr, /2 left out by the quality gate \(.*dark.*\)/);
  assert.match(r.stderr, /wrote .*to-label\.csv/);
  const rows = parseCsv(readFileSync(out, 'utf8'));
  assert.deepEqual(rows[0], [...SUGGESTION_COLUMNS]);
  assert.equal(rows.length, 5);
  const paths = rows.slice(1).map((x) => x[1]!);
  for (const bad of [f.corrupt, f.truncated, f.dark, f.blurry]) assert.ok(!paths.includes(bad), `${bad} suggested`);
  assert.equal(r.stdout, '');
  const toStdout = runCli(['suggest', '--checkpoint', f.ckpt, '--unlabeled', f.inbox, '--count', '4', '--uncertainty', 'entropy']);
  assert.equal(toStdout.status, 0, toStdout.stderr);
  assert.equal(toStdout.stdout, readFileSync(out, 'utf8'), 'the same run prints the same CSV');
});
