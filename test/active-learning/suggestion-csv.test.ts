import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SUGGESTION_COLUMNS, suggestionsCsv, writeSuggestionsCsv } from '../../src/active-learning/suggestion-csv.js';
import { csvField } from '../../src/io/csv-field.js';
import type { Suggestion } from '../../src/active-learning/suggestion.js';
import { parseCsv } from '../../src/data/datasets/parse-csv.js';
import { csvDataset } from '../../src/data/datasets/csv.js';

const rows: Suggestion[] = [
  {
    rank: 1,
    path: 'inbox/a,1.png',
    predictedClass: 'Gadwall',
    confidence: 0.4123,
    runnerUp: 'Mallard "wild"',
    margin: 0.0312,
    entropy: 1.8745,
    distance: null,
    duplicates: ['inbox/b.png', 'inbox/c.png'],
  },
  {
    rank: 2,
    path: '/abs/d.png',
    predictedClass: 'Mallard "wild"',
    confidence: 0.9,
    runnerUp: 'Gadwall',
    margin: 0.85,
    entropy: 0.4,
    distance: 1.25,
    duplicates: [],
  },
];

test('the CSV: documented columns in order, RFC 4180 quoting, numbers to 6 places, absolute paths', () => {
  const text = suggestionsCsv(rows);
  const parsed = parseCsv(text);
  assert.deepEqual(parsed[0], [...SUGGESTION_COLUMNS]);
  assert.equal(parsed.length, 3);
  const [one, two] = [parsed[1]!, parsed[2]!];
  const col = (r: string[], name: (typeof SUGGESTION_COLUMNS)[number]) => r[SUGGESTION_COLUMNS.indexOf(name)]!;
  assert.equal(col(one, 'rank'), '1');
  assert.equal(col(one, 'path'), resolve('inbox/a,1.png'));
  assert.equal(col(one, 'label'), '');
  assert.equal(col(one, 'predicted_class'), 'Gadwall');
  assert.equal(col(one, 'confidence'), '0.412300');
  assert.equal(col(one, 'runner_up'), 'Mallard "wild"');
  assert.equal(col(one, 'margin'), '0.031200');
  assert.equal(col(one, 'entropy'), '1.874500');
  assert.equal(col(one, 'distance'), '', 'the first pick without labelled photos has no distance');
  assert.equal(col(one, 'duplicates'), '2');
  assert.equal(col(one, 'duplicate_paths'), `${resolve('inbox/b.png')}|${resolve('inbox/c.png')}`);
  assert.equal(col(two, 'distance'), '1.250000');
  assert.equal(col(two, 'duplicates'), '0');
  assert.equal(col(two, 'duplicate_paths'), '');
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField('plain'), 'plain');
  assert.equal(suggestionsCsv([]), SUGGESTION_COLUMNS.join(',') + '\n');
});

test('written atomically (no temp file left), and once labelled it reads as a training CSV', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-suggest-csv-'));
  try {
    const photos = ['x.png', 'y.png', 'z.png'].map((f) => join(dir, f));
    for (const p of photos) writeFileSync(p, 'not read here');
    const out = join(dir, 'to-label.csv');
    writeFileSync(out, 'old contents');
    const s = photos.map((path, i): Suggestion => ({ ...rows[1]!, rank: i + 1, path }));
    writeSuggestionsCsv(out, s);
    assert.deepEqual(readdirSync(dir).sort(), ['to-label.csv', 'x.png', 'y.png', 'z.png']);
    // the labeller fills in two labels and leaves one
    const filled = parseCsv(readFileSync(out, 'utf8'));
    filled[1]![2] = 'Gadwall';
    filled[2]![2] = 'Mallard';
    writeFileSync(out, filled.map((r) => r.map(csvField).join(',')).join('\n'));
    const ds = csvDataset(out);
    assert.deepEqual(ds.classes, ['Gadwall', 'Mallard']);
    assert.equal(ds.samples.length, 2);
    assert.match(ds.skipped.summary(), /1 missing-label/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
