/**
 * `finegrain demo`: the README's main job, end to end on a fresh machine —
 *
 *   1. generate the synthetic fine-grained dataset (classes differ only in small marks),
 *      keeping a held-out test split the training never sees;
 *   2. train with the competition recipe in recipes/demo.yaml (attention-region random crop,
 *      AutoAugment, label smoothing, EMA, cosine schedule, bf16 autocast + channels-last
 *      where the CPU has fast bf16);
 *   3. calibrate the best checkpoint on the run's validation split, so that what it serves
 *      can answer "unknown";
 *   4. evaluate it on the test split with flip TTA;
 *   5. show a photo unlike anything it trained on, and its answer;
 *   6. write sample predictions with attention maps;
 *
 * and print the accuracy it got. `--quick` shrinks everything for a smoke run.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { parseArgs } from 'node:util';
import { generateSynthDataset } from '../../data/synth/generate.js';
import { csvDataset } from '../../data/datasets/csv.js';
import { subset } from '../../data/datasets/compose.js';
import { loadModelFromCheckpoint } from '../../models/load-checkpoint.js';
import { classificationReport, formatReport } from '../../evaluation/metrics.js';
import { predictDataset } from '../../evaluation/predict-dataset.js';
import { writeAttentionOverlays } from '../../infer/attention-overlay.js';
import { buildInfo, getNumThreads, setNumThreads } from '../../runtime/settings.js';
import { availableParallelism } from 'node:os';
import { scope } from '../../tensor/scope.js';
import { train } from '../../train/trainer.js';
import { readConfigFile, type TrainConfigInput } from '../../train/config.js';
import { resolvePrecision } from '../../runtime/device-choice.js';
import { calibrate } from '../../open-world/calibrate-checkpoint.js';
import { classifier } from '../../pipeline/classifier.js';

/** The demo's recipe: a config file that `finegrain train --config` reads as well. */
export const DEMO_RECIPE = fileURLToPath(new URL('../../../../recipes/demo.yaml', import.meta.url));

const HELP = `usage: finegrain demo [--out DIR] [--quick]

Generates a synthetic fine-grained dataset, trains with the competition recipe
(recipes/demo.yaml), calibrates the model so it can answer "unknown", evaluates on a held-out
test split with TTA, shows a photo unlike its training data and its answer, and writes sample
predictions with attention maps into DIR (default runs/demo). Prints the accuracy it got.

  --out DIR    where the data, the run and the predictions go (default runs/demo)
  --quick      a much smaller run (a smoke test, about a minute)

example:
  finegrain demo --out /tmp/demo`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const quick = values.quick ?? false;
  const out = resolve(values.out ?? 'runs/demo');
  const started = performance.now();
  const recipe = readConfigFile(DEMO_RECIPE) as TrainConfigInput;
  // --quick: a smaller network, image and schedule, and no EMA (two epochs are too few for it).
  if (quick) Object.assign(recipe, { model: 'regnetx_002', imageSize: 64, epochs: 2, ema: 0 });
  const s = {
    classes: quick ? 3 : 6,
    train: quick ? 24 : 200,
    test: quick ? 8 : 40,
    size: recipe.imageSize ?? 96,
    model: String(recipe.model),
  };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // libtorch may default to one thread on small machines; the demo uses every core it has.
  setNumThreads(availableParallelism());
  const info = buildInfo();
  console.log(`finegrain demo — libtorch ${info.torchVersion}, ${getNumThreads()} CPU thread(s), training in ${resolvePrecision('auto', 'cpu')}`);

  // 1. Data: one generation, split per class into training and a held-out test set.
  const data = join(out, 'synth');
  const synth = await generateSynthDataset({
    out: data,
    classes: s.classes,
    perClass: s.train + s.test,
    size: s.size,
    seed: 0,
    // Two marks of eight shapes, never the same twice, on the organism: classes share a mark
    // and differ in the other, as species do — learnable from scratch in the demo's budget.
    traits: 2,
    repeats: false,
    markSize: 0.14,
    scatter: 0,
    clutter: [2, 8],
  });
  const rows = readFileSync(join(data, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
  const index = (row: string) => Number(/_(\d+)\.\w+,/.exec(row)![1]);
  writeFileAtomic(join(data, 'train.csv'), 'path,label\n' + rows.filter((r) => index(r) < s.train).join('\n') + '\n');
  writeFileAtomic(join(data, 'test.csv'), 'path,label\n' + rows.filter((r) => index(r) >= s.train).join('\n') + '\n');
  console.log(
    `1. data: ${synth.images} synthetic images of ${s.classes} classes that differ only in ${synth.traits[0]!.length} small marks (${s.size} px); ${s.test} per class held out for the test`,
  );

  // 2. Training with the recipe.
  const result = await train(
    { ...recipe, data: join(data, 'train.csv'), out, name: 'run', quiet: !process.stderr.isTTY },
    { log: (line) => console.log(`   ${line}`) },
  );
  console.log(
    `2. trained ${s.model} for ${result.epochs} epochs in ${(result.seconds / 60).toFixed(1)} min: best validation accuracy ${(100 * result.bestValAccuracy).toFixed(1)}%`,
  );

  // 3. Calibration on the run's own validation split: temperature and unknown thresholds.
  const best = join(result.runDir, 'checkpoints/best.safetensors');
  const cal = await calibrate(best, { k: quick ? 3 : 10 });
  console.log(
    `3. calibrated on ${cal.validationImages} validation images: temperature ${cal.temperature.toFixed(2)}, "unknown" below the ${cal.method} threshold that passes ${(100 * cal.passRate).toFixed(0)}% of them`,
  );

  // 5 (before loading the eval copy): a photo unlike the training data, through the front door.
  const stranger = join(out, 'not-an-organism.png');
  await writeStrangerPhoto(stranger, s.size * 2);
  let strangerLine: string;
  {
    using clf = await classifier(best);
    const r = await clf.classify(stranger, { topK: 1 });
    const top = r.predictions[0]!;
    const answer = r.unknown.isUnknown ? '"unknown"' : `${top.label} ${(100 * top.score).toFixed(1)}% (not flagged unknown)`;
    strangerLine = `5. a photo unlike the training data (${stranger}): ${answer}; ${r.unknown.method} score ${r.unknown.score.toFixed(3)} against threshold ${r.unknown.threshold.toFixed(3)}`;
  }

  // 4. Evaluation on the held-out test split, with flip TTA.
  const { model, meta, preprocess } = loadModelFromCheckpoint(best);
  try {
    const test = csvDataset(join(data, 'test.csv'), { classes: meta.classes });
    const preds = await predictDataset({ model, preprocess }, test, { tta: { flips: true }, batchSize: 32 });
    let top1 = NaN;
    try {
      const report = classificationReport(preds.probs, preds.labels, meta.classes);
      top1 = report.top1;
      writeFileAtomic(join(out, 'test-report.json'), JSON.stringify(report, null, 2) + '\n');
      console.log(`4. test split (${report.images} images, flip TTA):\n${formatReport(report, { worstClasses: 3 }).replace(/^/gm, '   ')}`);
    } finally {
      preds.dispose();
    }

    console.log(strangerLine);

    // 6. Sample predictions with attention maps.
    const samples = subset(
      test,
      Array.from({ length: Math.min(8, test.samples.length) }, (_, i) => i * Math.floor(test.samples.length / 8)),
    );
    const p = await predictDataset({ model, preprocess }, samples, { batchSize: 8 });
    const captions = new Map<string, string>();
    try {
      const top = scope(() => Array.from(p.probs.argmax(1).toTypedArray() as BigInt64Array, Number));
      p.paths.forEach((path, i) =>
        captions.set(
          path,
          `${meta.classes[top[i]!]} (true: ${samples.samples[p.indices[i]!]!.label >= 0 ? meta.classes[samples.samples[p.indices[i]!]!.label] : '?'})`,
        ),
      );
    } finally {
      p.dispose();
    }
    const dir = join(out, 'predictions');
    const { written } = await writeAttentionOverlays(model, samples, {
      preprocess,
      outputPath: (path) => join(dir, basename(path).replace(/\.\w+$/, '.png')),
      captions,
    });
    console.log(`6. ${written.length} predictions with attention maps in ${dir}`);
    console.log(
      `\ndemo: test accuracy ${(100 * top1).toFixed(1)}% on ${s.classes} classes (chance ${(100 / s.classes).toFixed(1)}%), total ${((performance.now() - started) / 60000).toFixed(1)} min; run folder ${result.runDir}`,
    );
    console.log(`\nserve the model it trained and calibrated (web page and HTTP API on http://127.0.0.1:8080/):\n  npx finegrain serve --checkpoint ${best}`);
  } finally {
    model.dispose();
  }
}

/**
 * A photo far from the demo's data: a smooth sky-to-grass gradient with one large disc — no
 * organism, no marks, no clutter. A calibrated model should call it "unknown".
 */
async function writeStrangerPhoto(path: string, side: number): Promise<void> {
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const t = y / (side - 1);
      const inDisc = (x - side * 0.65) ** 2 + (y - side * 0.35) ** 2 < (side * 0.18) ** 2;
      const o = (y * side + x) * 3;
      data[o] = inDisc ? 250 : Math.round(110 * (1 - t) + 60 * t);
      data[o + 1] = inDisc ? 200 : Math.round(170 * (1 - t) + 140 * t);
      data[o + 2] = inDisc ? 40 : Math.round(235 * (1 - t) + 50 * t);
    }
  await sharp(data, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toFile(path);
}
