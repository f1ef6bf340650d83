/**
 * `finegrain suggest --checkpoint C --unlabeled DIR --count N [--out FILE.csv]`: the library's
 * `suggest()` (active-learning/suggest.ts) behind flags — which unlabelled photos to label
 * next, as a CSV for a labelling tool.
 *
 * @example
 *   finegrain suggest --checkpoint runs/birds/checkpoints/best.safetensors --unlabeled inbox/ --labeled birds/ --count 200 --out to-label.csv
 */
import { parseArgs } from 'node:util';
import { suggest } from '../../active-learning/suggest.js';
import { suggestionsCsv } from '../../active-learning/suggestion-csv.js';
import { DEFAULT_OUTLIER_FRACTION, DEFAULT_POOL_FACTOR, DENSITY_NEIGHBOURS } from '../../active-learning/rank-suggestions.js';
import { DEFAULT_DUPLICATE_SIMILARITY } from '../../active-learning/near-duplicates.js';
import { isUncertaintyMeasure, UNCERTAINTY_MEASURES } from '../../active-learning/uncertainty.js';
import { useAllCores } from '../../runtime/settings.js';
import type { Device } from '../../tensor/device.js';
import { numberFlag, positiveInt, precisionFlag, usageError } from '../shared-flags.js';

const HELP = `usage: finegrain suggest --checkpoint CKPT --unlabeled DIR --count N [--out FILE.csv]
                         [--labeled DIR] [--uncertainty ${UNCERTAINTY_MEASURES.join('|')}] [--pool-factor K|all]
                         [--duplicate-similarity S] [--outlier-fraction F]

Ranks unlabelled photos by how much labelling them should help the model, and writes the top N
as a CSV a labelling tool can take (docs/labelling.md):

  1. every photo under DIR is read as classify and serve read it; files that cannot be read
     are reported and left out, and so are photos the quality gate flags (dark, blurry, …);
  2. uncertainty from the checkpoint's calibrated probabilities (the head it answers with, at
     the calibration's temperature; finegrain calibrate fits them);
  3. near-duplicates (cosine similarity of the embeddings at least S) are collapsed to their
     most uncertain photo, which stands for the rest; photos near-duplicate to a labelled one
     are left out;
  4. the share F of the photos in the sparsest regions of the embedding space (atypical shots)
     are left out as outliers;
  5. of the K × N most uncertain photos left, k-center greedy in the normalised embedding
     space picks N that are far from each other and from the labelled photos.

  --checkpoint FILE   the finegrain checkpoint (required); calibrate it first for calibrated
                      probabilities (without a calibration: temperature 1, said on stderr)
  --unlabeled DIR     the unlabelled photos, searched recursively (required)
  --count N           how many photos to suggest, a positive integer (required)
  --out FILE.csv      write the CSV here, atomically (default: print it to stdout). Columns:
                      rank, path (absolute), label (empty, for the labeller), predicted_class,
                      confidence, runner_up, margin, entropy, distance, duplicates,
                      duplicate_paths ('|'-separated). Filled in, it trains: train --data FILE.csv
  --labeled DIR       photos labelled already (any layout; labels not read): they count as
                      centres chosen before the first pick, and their near-duplicates are left out
  --uncertainty M     margin (default: p1 − p2 of the calibrated probabilities, smallest first)
                      or entropy (of the calibrated probabilities, largest first)
  --pool-factor K     the greedy chooses among the K × N most uncertain photos (default
                      ${DEFAULT_POOL_FACTOR}; 1 = uncertainty alone, all = diversity alone over every photo)
  --duplicate-similarity S
                      cosine similarity of the embeddings at and above which two photos are
                      near-duplicates, in (0, 1] (default ${DEFAULT_DUPLICATE_SIMILARITY})
  --outlier-fraction F
                      the share of photos, in [0, 1), with the lowest mean similarity to their
                      ${DENSITY_NEIGHBOURS} nearest photos, left out before the pool is formed (default ${DEFAULT_OUTLIER_FRACTION})
  --batch-size N      photos per forward pass (default 32)
  --device DEV        cpu, cuda, cuda:N or auto (default auto)
  --precision P       auto (default, as serve uses: bfloat16 where fast), float32, bfloat16, float16 (CUDA)
  --no-ema            use the trained weights even when the checkpoint holds EMA weights

example:
  finegrain calibrate --checkpoint runs/birds/checkpoints/best.safetensors
  finegrain suggest --checkpoint runs/birds/checkpoints/best.safetensors --unlabeled inbox/ --labeled birds/ --count 200 --out to-label.csv`;

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      unlabeled: { type: 'string' },
      count: { type: 'string' },
      out: { type: 'string' },
      labeled: { type: 'string' },
      uncertainty: { type: 'string' },
      'pool-factor': { type: 'string' },
      'duplicate-similarity': { type: 'string' },
      'outlier-fraction': { type: 'string' },
      'batch-size': { type: 'string' },
      device: { type: 'string' },
      precision: { type: 'string' },
      'no-ema': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.checkpoint) throw usageError('--checkpoint FILE is required');
  if (!values.unlabeled) throw usageError('--unlabeled DIR is required');
  if (values.count === undefined) throw usageError('--count N is required');
  const count = positiveInt(values.count, '--count')!;
  const uncertainty = values.uncertainty ?? 'margin';
  if (!isUncertaintyMeasure(uncertainty)) throw usageError(`--uncertainty must be ${UNCERTAINTY_MEASURES.join(' or ')}, got '${uncertainty}'`);
  const poolFactor =
    values['pool-factor'] === 'all' ? Infinity : numberFlag(values['pool-factor'], '--pool-factor', (n) => n >= 1, "a number of at least 1, or 'all'");
  const duplicateSimilarity = numberFlag(values['duplicate-similarity'], '--duplicate-similarity', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const outlierFraction = numberFlag(values['outlier-fraction'], '--outlier-fraction', (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const precision = precisionFlag(values.precision);
  const r = await suggest(values.checkpoint, {
    unlabeled: values.unlabeled,
    labeled: values.labeled,
    count,
    uncertainty,
    poolFactor,
    duplicateSimilarity,
    outlierFraction,
    out: values.out,
    batchSize: positiveInt(values['batch-size'], '--batch-size'),
    load: { device: (values.device ?? 'auto') as Device | 'auto', precision, ema: values['no-ema'] ? 'trained' : 'auto' },
  });
  // The CSV may go to stdout, so everything said about the run goes to stderr.
  const say = (line: string) => console.error(line);
  if (!r.calibration.calibrated) say(`note: ${values.checkpoint} has no calibration: probabilities at temperature 1 (finegrain calibrate fits one)`);
  say(`${r.photos} photo(s) under ${values.unlabeled}; ${r.skippedSummary}`);
  for (const f of r.skipped) say(`  skipped ${f.path}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`);
  if (r.lowQuality.length) {
    const byIssue = new Map<string, number>();
    for (const q of r.lowQuality) for (const i of q.issues) byIssue.set(i, (byIssue.get(i) ?? 0) + 1);
    say(`${r.lowQuality.length} left out by the quality gate (${[...byIssue].map(([i, n]) => `${n} ${i}`).join(', ')})`);
  }
  if (r.labeled) say(`${r.labeled} labelled photo(s) as centres; ${r.nearLabeled.length} unlabelled photo(s) left out as near-duplicates of them`);
  const grouped = r.suggestions.reduce((s, x) => s + x.duplicates.length, 0);
  say(
    `${r.candidates} candidate(s) after collapsing near-duplicates; chose ${r.suggestions.length} among the ${r.poolSize} most uncertain (${grouped} near-duplicate(s) stand behind them)`,
  );
  if (values.out) say(`wrote ${values.out}`);
  else process.stdout.write(suggestionsCsv(r.suggestions));
}
