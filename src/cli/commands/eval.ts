/**
 * `finegrain eval --checkpoint CKPT --data PATH`: top-1, top-5, per-class accuracy and the
 * most confused class pairs of a checkpoint — or a weighted ensemble of checkpoints, with
 * test-time augmentation — on a labelled dataset, as a table on stdout and JSON (`--json`).
 * Head/middle/tail accuracy is added when the checkpoint sits in its run folder and the
 * training data it names can still be read (the classes' training counts decide the thirds).
 *
 * @example
 *   finegrain eval --checkpoint runs/a/checkpoints/best.safetensors --data cub100 --split test \
 *     --tta flips,scales=1,1.15 --json eval.json
 */
import { writeFileAtomic } from '../../io/atomic-write.js';
import { parseArgs } from 'node:util';
import { classificationReport, formatReport, headTailAccuracy } from '../../evaluation/metrics.js';
import { alignClasses, openLabeled } from '../../train/datasets.js';
import { runDirOf, runTrainingData } from '../../train/run-data.js';
import { useAllCores } from '../../runtime/settings.js';
import { formatHierarchicalEvaluation, hierarchicalEvaluation } from '../../hierarchy/evaluation.js';
import { hierarchyPath } from '../../hierarchy/sidecar.js';
import { probabilityRows } from '../../hierarchy/probability-rows.js';
import { frontDoor, MODEL_HELP, MODEL_OPTIONS, modelFlags, positiveInt, usageError, type Token } from '../shared-flags.js';
// open-world hook (--ood, --corruptions, --report): the measures live in eval-open-world.ts, the report page in open-world/report/
import { checkOpenWorldFlags, evalOpenWorld, OPEN_WORLD_HELP, OPEN_WORLD_OPTIONS, writeOpenWorldReport } from './eval-open-world.js';

/**
 * Training images per class (in `classes`' order) of the run a checkpoint belongs to, from
 * its run folder's config.json (`<run>/checkpoints/<name>.safetensors`), re-splitting the
 * data as training did; or the reason it is not known.
 */
export function trainCountsOf(checkpoint: string, classes: readonly string[]): { counts: number[] } | { reason: string } {
  const runDir = runDirOf(checkpoint);
  if (!runDir) return { reason: `no run folder around ${checkpoint}` };
  try {
    const data = runTrainingData(checkpoint)!;
    const byName = new Map(data.classes.map((c, i) => [c, data.trainCounts[i]!]));
    return { counts: classes.map((c) => byName.get(c) ?? 0) };
  } catch (e) {
    return { reason: `training data of ${runDir} not readable (${(e as Error).message.split('\n')[0]})` };
  }
}

const HELP = `usage: finegrain eval --checkpoint CKPT [--checkpoint CKPT2 --ensemble-weight 0.6 ...] --data PATH
                      [--split test|train|all] [--tta flips,scales=1,1.15]
                      [--ensemble probabilities|embeddings] [--json OUT.json]
                      [--ood DIR] [--corruptions all|LIST] [--report DIR]

Accuracy of a checkpoint (or an ensemble) on labelled data: top-1, top-5, per-class
accuracy, the most confused class pairs, and head/middle/tail accuracy when the training
class counts are known. The data's classes are matched to the checkpoint's by name; images
of classes the checkpoint does not know are counted and left out.

  --data PATH         a folder per class, a CSV (path,label) or a CUB-style folder
  --split S           for CUB-style folders: test (default), train or all
  --json FILE         also write the full report as JSON
  --top-pairs N       confused pairs to list (default 10)

${MODEL_HELP}

${OPEN_WORLD_HELP}

examples:
  finegrain eval --checkpoint runs/birds/checkpoints/best.safetensors --data birds_test/ --tta flips
  finegrain eval --checkpoint a.safetensors --checkpoint b.safetensors --ensemble-weight 0.5 --ensemble embeddings --data CUB_200_2011/`;

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      ...MODEL_OPTIONS,
      data: { type: 'string' },
      split: { type: 'string' },
      json: { type: 'string' },
      'top-pairs': { type: 'string' },
      ...OPEN_WORLD_OPTIONS,
    },
    tokens: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const flags = await modelFlags(values, tokens as Token[]);
  if (!values.data) throw usageError('--data PATH is required');
  const split = (values.split ?? 'test') as 'test' | 'train' | 'all';
  if (!['test', 'train', 'all'].includes(split)) throw usageError(`--split must be test, train or all, got '${values.split}'`);
  const topPairs = positiveInt(values['top-pairs'], '--top-pairs') ?? 10;
  checkOpenWorldFlags(values, flags.checkpoints.length);

  const ens = await frontDoor(flags);
  try {
    const raw = openLabeled(values.data!, { split });
    // Images of classes the model does not know, per class (they cannot be scored).
    const known = new Set(ens.classes);
    const unknownClasses: Record<string, number> = {};
    for (const s of raw.samples) {
      const name = raw.classes[s.label]!;
      if (!known.has(name)) unknownClasses[name] = (unknownClasses[name] ?? 0) + 1;
    }
    const ds = alignClasses(raw, ens.classes);
    if (!ds.samples.length)
      throw usageError(
        `${values.data}: none of its classes (${raw.classes.slice(0, 5).join(', ')}${raw.classes.length > 5 ? ', ...' : ''}) is among the checkpoint's classes`,
      );
    const preds = await ens.predictDataset(ds, flags.predict);
    try {
      if (!preds.indices.length) throw usageError(`${values.data}: no image could be read (${preds.skipped})`);
      const report = classificationReport(preds.probs, preds.labels, [...ens.classes], { topPairs });
      const counts = trainCountsOf(flags.checkpoints[0]!.path, ens.classes);
      const headTail = 'counts' in counts ? headTailAccuracy(report, counts.counts) : null;
      const result = {
        checkpoints: ens.members.map((m) => ({ path: m.path, weight: m.weight, model: m.meta.model, preprocess: m.preprocess, epoch: m.meta.epoch })),
        data: values.data,
        split,
        ensemble: flags.predict.ensemble,
        tta: flags.predict.tta ?? null,
        ...report,
        headTail,
        headTailNote: 'counts' in counts ? 'classes sorted by training images and split into thirds' : counts.reason,
        trainCounts: 'counts' in counts ? counts.counts : null,
        unknownClasses,
        skipped: preds.skippedFiles.filter((f) => f.reason !== 'unknown-label'),
      };
      const openWorld = await evalOpenWorld(values, { members: ens.members, ds, preds, predict: flags.predict, classes: ens.classes });
      if (openWorld) Object.assign(result, { openWorld: { ...openWorld, plots: undefined } });
      // A class hierarchy beside the (single) checkpoint: accuracy per level and errors by level.
      const stored = ens.classHierarchy();
      const levels = stored
        ? hierarchicalEvaluation(stored.hierarchy, probabilityRows(preds.probs), Array.from(preds.labels.toTypedArray() as BigInt64Array, Number))
        : null;
      if (levels) Object.assign(result, { hierarchy: levels });
      if (values.json) writeFileAtomic(values.json, JSON.stringify(result, jsonNumbers, 2) + '\n');
      console.log(formatReport(report));
      if (levels) console.log(`\nper level (${hierarchyPath(flags.checkpoints[0]!.path)}):\n${formatHierarchicalEvaluation(levels)}`);
      if (headTail) console.log(`\nhead / middle / tail classes: ${pct(headTail.head)} / ${pct(headTail.medium)} / ${pct(headTail.tail)}`);
      const unknown = Object.entries(unknownClasses);
      if (unknown.length)
        console.log(
          `\n${unknown.reduce((a, [, n]) => a + n, 0)} images of ${unknown.length} classes the checkpoint does not know were left out: ${unknown
            .slice(0, 10)
            .map(([c, n]) => `${c} (${n})`)
            .join(', ')}${unknown.length > 10 ? ', ...' : ''}`,
        );
      if (result.skipped.length)
        console.log(
          `\n${result.skipped.length} unreadable files left out:\n${result.skipped
            .slice(0, 20)
            .map((f) => `  ${f.reason}: ${f.path}${f.detail ? ` (${f.detail})` : ''}`)
            .join('\n')}`,
        );
      await writeOpenWorldReport(values, result, openWorld);
    } finally {
      preds.dispose();
    }
  } finally {
    ens.dispose();
  }
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a');

/** JSON has no NaN: classes without test images report accuracy null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
