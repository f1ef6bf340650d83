/**
 * `finegrain hierarchy --checkpoint C --source make-model-year|FILE [--test DATA]`: the
 * library's `fitHierarchy()` (hierarchy/fit-checkpoint.ts) behind flags — stores a
 * checkpoint's class hierarchy with per-level thresholds fitted on validation images beside
 * it, and with `--test` measures accuracy per level and the coverage curve on test images.
 *
 * @example
 *   finegrain hierarchy --checkpoint runs/cars/checkpoints/best.safetensors --source make-model-year --test cars33/test
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatCoverageCurve } from '../../hierarchy/coverage.js';
import { formatHierarchicalEvaluation } from '../../hierarchy/evaluation.js';
import { fitHierarchy } from '../../hierarchy/fit-checkpoint.js';
import { DEFAULT_MAX_ERROR, DEFAULT_WILSON_Z } from '../../hierarchy/thresholds.js';
import { useAllCores } from '../../runtime/settings.js';
import { numberFlag, usageError } from '../shared-flags.js';

const HELP = `usage: finegrain hierarchy --checkpoint CKPT --source make-model-year|FILE.json|FILE.csv
                           [--max-error ${DEFAULT_MAX_ERROR}] [--data VAL] [--test DATA [--split test]] [--json OUT]

Gives a checkpoint its class hierarchy (make → model → series, or the levels of a mapping
file) and per-level confidence thresholds, stored beside it (<checkpoint>.hierarchy.json):
answers then carry a score per level and the deepest level they are sure of.

  --checkpoint FILE   the finegrain checkpoint (required)
  --source S          make-model-year: parse "Make Model… Body Year" class names (Stanford
                      Cars); or a mapping file, .json {levels, classes} or .csv (docs/hierarchy.md)
  --max-error E       the largest share of answers wrong at a level they claim (default ${DEFAULT_MAX_ERROR})
  --z Z               Wilson interval z for small validation sets (default ${DEFAULT_WILSON_Z}; 0: observed rate)
  --data PATH         validation images; default: the run's own validation split. Never test data.
  --test PATH         also measure on these images with the fitted thresholds (reported only):
                      accuracy per level, errors by level, and the coverage curve
  --split S           for CUB-style --test folders: test (default), train or all
  --json FILE         write the summary as JSON

example:
  finegrain hierarchy --checkpoint runs/cars/checkpoints/best.safetensors --source make-model-year --test cars33/test`;

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      source: { type: 'string' },
      'max-error': { type: 'string' },
      z: { type: 'string' },
      data: { type: 'string' },
      test: { type: 'string' },
      split: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.checkpoint) throw usageError('--checkpoint FILE is required');
  if (!values.source) throw usageError('--source make-model-year|FILE is required');
  const maxError = numberFlag(values['max-error'], '--max-error', (n) => n > 0 && n < 1, 'a number in (0, 1)');
  const z = numberFlag(values.z, '--z', (n) => n >= 0, 'a number ≥ 0');
  const split = (values.split ?? 'test') as 'test' | 'train' | 'all';
  if (!['test', 'train', 'all'].includes(split)) throw usageError(`--split must be test, train or all, got '${values.split}'`);
  const summary = await fitHierarchy(values.checkpoint, {
    source: values.source,
    maxError,
    z,
    data: values.data,
    test: values.test ? { data: values.test, split } : undefined,
    onNote: (l) => console.error(l),
  });
  const t = summary.thresholds.map((x, i) => `${summary.levels[i]} ${Number.isFinite(x) ? x.toFixed(3) : 'never'}`).join(', ');
  console.log(`stored ${summary.path}: thresholds ${t} (${summary.validationImages} validation images)`);
  if (summary.test) {
    console.log(`\ntest (${summary.test.images} images, thresholds fitted on validation):\n${formatHierarchicalEvaluation(summary.test.evaluation)}`);
    console.log(`\ncoverage curve (fitted on validation, measured on test):\n${formatCoverageCurve(summary.test.curve, summary.levels)}`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(summary, (_k, v: unknown) => (v === Infinity ? null : v), 2) + '\n');
}
