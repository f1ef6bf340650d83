/**
 * The suggestions as a CSV a labelling tool can take, and that `finegrain train --data` reads
 * once the `label` column is filled in (rows left empty are skipped and reported). RFC 4180:
 * a header, comma-separated, fields with a comma, quote or line break double-quoted. Written
 * atomically: a run killed mid-write leaves the old file or the new one, never a mix.
 *
 * Columns (SUGGESTION_COLUMNS):
 * - rank: 1 = label first;
 * - path: the photo, an absolute path;
 * - label: empty, for the labeller;
 * - predicted_class, confidence: the model's answer and its calibrated probability (a pre-fill, not a label);
 * - runner_up: the second class;
 * - margin: calibrated p₁ − p₂; entropy: of the calibrated probabilities, in nats;
 * - distance: to the nearest earlier suggestion or labelled photo in the L2-normalised
 *   embedding space, 0–2 (empty for the first pick when no labelled photos were given);
 * - duplicates: how many near-duplicates the photo stands for;
 * - duplicate_paths: their paths, separated by '|'.
 *
 * @example
 *   writeSuggestionsCsv('to-label.csv', result.suggestions);
 *   // rank,path,label,predicted_class,confidence,runner_up,margin,entropy,distance,duplicates,duplicate_paths
 *   // 1,/photos/0412.jpg,,Gadwall,0.412300,Mallard,0.031200,1.874500,,2,/photos/0413.jpg|/photos/0414.jpg
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { csvField } from '../io/csv-field.js';
import type { Suggestion } from './suggestion.js';

/** The CSV's columns, in order (see the file comment). */
export const SUGGESTION_COLUMNS = [
  'rank',
  'path',
  'label',
  'predicted_class',
  'confidence',
  'runner_up',
  'margin',
  'entropy',
  'distance',
  'duplicates',
  'duplicate_paths',
] as const;

const num = (x: number) => x.toFixed(6);

/** The CSV text (header and one line per suggestion, LF line ends). */
export function suggestionsCsv(suggestions: readonly Suggestion[]): string {
  const lines = [SUGGESTION_COLUMNS.join(',')];
  for (const s of suggestions) {
    const fields = [
      String(s.rank),
      resolve(s.path),
      '',
      s.predictedClass,
      num(s.confidence),
      s.runnerUp,
      num(s.margin),
      num(s.entropy),
      s.distance === null ? '' : num(s.distance),
      String(s.duplicates.length),
      s.duplicates.map((d) => resolve(d)).join('|'),
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Writes the CSV to `path` atomically. */
export function writeSuggestionsCsv(path: string, suggestions: readonly Suggestion[]): void {
  writeFileAtomic(path, suggestionsCsv(suggestions));
}
