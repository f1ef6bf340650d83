/**
 * The fine-tuned long-tail stage of bench/open-world: cub100's training split cut to the
 * exponential profile (imbalance factor 10, seed 0 — the same subset as the probe's `longtail`
 * stage), MobileNetV2 fine-tuned on it with `finegrain train` once per `--balance` remedy, each
 * evaluated with `finegrain eval` on every cub100 test image. Accuracy is split by the training
 * images of a class: many-shot ≥ `many`, few-shot ≤ `few`, medium between.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { longTailSubset } from '../../src/open-world/long-tail.js';
import { openLabeled } from '../../src/train/datasets.js';
import { evaluate, trainRun, type EvalJson, type RunSettings } from './stage-finetune.js';

export interface LongTailFinetuneOptions extends RunSettings {
  shared: string;
  many: number;
  few: number;
  /** `--balance` values to compare ('none' is plain cross-entropy). */
  remedies: string[];
}

/** A class-folder view of the long-tailed subset; returns the training images per class. */
function longTailView(cub: string, dst: string): { counts: number[]; classes: readonly string[] } {
  const ds = openLabeled(cub, { split: 'train' });
  const lt = longTailSubset(
    ds.samples.map((s) => s.label),
    { numClasses: ds.classes.length, imbalance: 10, seed: 0 },
  );
  rmSync(dst, { recursive: true, force: true });
  for (const c of ds.classes) mkdirSync(join(dst, c), { recursive: true });
  for (const i of lt.indices) {
    const s = ds.samples[i]!;
    symlinkSync(s.path, join(dst, ds.classes[s.label]!, basename(s.path)));
  }
  return { counts: lt.counts, classes: ds.classes };
}

function groups(e: EvalJson, counts: Map<string, number>, many: number, few: number) {
  const acc = { many: [0, 0], medium: [0, 0], few: [0, 0] } as Record<'many' | 'medium' | 'few', [number, number]>;
  for (const c of e.perClass) {
    const n = counts.get(c.name)!;
    const g = n >= many ? 'many' : n <= few ? 'few' : 'medium';
    acc[g][0] += c.accuracy * c.images;
    acc[g][1] += c.images;
  }
  return { many: acc.many[0] / acc.many[1], medium: acc.medium[0] / acc.medium[1], few: acc.few[0] / acc.few[1], overall: e.top1 };
}

export function longTailFinetuneStage(o: LongTailFinetuneOptions): Record<string, unknown> {
  const cub = join(o.shared, 'data/cub100');
  const view = join(o.work, 'data/cub100-lt10-train');
  const { counts, classes } = longTailView(cub, view);
  const byName = new Map(classes.map((c, i) => [c, counts[i]!]));
  const rows: Record<string, ReturnType<typeof groups>> = {};
  for (const remedy of o.remedies) {
    const name = `cub100-lt10-${remedy}`;
    const ckpt = trainRun(o, name, view, remedy === 'none' ? [] : ['--balance', remedy]);
    rows[remedy] = groups(evaluate(o, ckpt, cub, name, ['--split', 'test']), byName, o.many, o.few);
  }
  const pct = (v: number) => (100 * v).toFixed(1);
  console.log(`\nfine-tuned long tail (cub100, imbalance 10, ${counts.reduce((a, b) => a + b, 0)} training images; many >= ${o.many}, few <= ${o.few}):`);
  console.log('| --balance | many | medium | few | overall |');
  for (const [k, r] of Object.entries(rows)) console.log(`| ${k} | ${pct(r.many)} | ${pct(r.medium)} | ${pct(r.few)} | ${pct(r.overall)} |`);
  return {
    setup: `MobileNetV2 (ImageNet import) fine-tuned with finegrain train ${o.trainArgs.join(' ')} --epochs ${o.epochs} [--balance R]; eval on all cub100 test images`,
    trainImages: counts.reduce((a, b) => a + b, 0),
    cutoffs: `many >= ${o.many}, few <= ${o.few} training images, medium between`,
    classes: { many: counts.filter((n) => n >= o.many).length, few: counts.filter((n) => n <= o.few).length },
    rows,
  };
}
