/**
 * bench/suggest: do the photos `finegrain suggest` picks teach a model more than as many picked
 * at random (issue 34)? On cub100, from 10 % of the training labels (stratified: the same
 * share of every species, at least one photo each), 200 more labels chosen by suggest's ranking
 * against 200 chosen at random, each set retrained with the same recipe, top-1 on the 2,999
 * test photos; 5 seeds (each seed draws its own starting 10 % and its own random 200).
 *
 * The recipe is a linear probe on the frozen MobileNetV2 ImageNet import (probe.ts; why not
 * fine-tuning: bench/README.md). The model that suggests is the starting probe: its calibrated
 * probabilities (temperature cross-fitted on the labelled 10 %) and the backbone's embeddings —
 * what `suggest()` reads off a checkpoint made of this backbone and head — go through the
 * library's `rankSuggestions`, the function `suggest()` calls. Beside the default (margin,
 * pool 5 × N) it ranks with entropy, with uncertainty alone (pool 1 × N) and with diversity
 * alone (the core-set greedy over every photo), on the same draws.
 *
 *   npm run bench -- suggest [--seeds 5] [--count 200] [--data ../shared/data/cub100]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rankSuggestions, type RankOptions } from '../../src/active-learning/rank-suggestions.js';
import { DEFAULT_DUPLICATE_SIMILARITY } from '../../src/active-learning/near-duplicates.js';
import { cubDataset } from '../../src/data/datasets/cub.js';
import { Rng } from '../../src/data/random.js';
import { softmax } from '../../src/nn/functional/activation.js';
import { useAllCores } from '../../src/runtime/settings.js';
import { fromTypedArray, tensor } from '../../src/tensor/index.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { cpuModel } from '../engine/machine.js';
import { f, table } from '../format.js';
import { duplicateStudy } from './duplicates.js';
import { BACKBONE, embedDataset } from './embed.js';
import { accuracy, crossFittedTemperature, PROBE, probeLogits, trainProbe } from './probe.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/cub100' },
    seeds: { type: 'string', default: '5' },
    count: { type: 'string', default: '200' },
    start: { type: 'string', default: '0.1' },
    cache: { type: 'string', default: 'runs/bench-suggest' },
    'duplicate-photos': { type: 'string', default: '60' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: npm run bench -- suggest [--seeds 5] [--count 200] [--start 0.1] [--data DIR] [--cache DIR] [--duplicate-photos 60] [--out FILE]

  --data              a CUB-style folder (default ../shared/data/cub100)
  --seeds             draws of the starting labels and of the random arm (default 5)
  --count             labels added by each arm (default 200)
  --start             the labelled share of the training images to start from (default 0.1)
  --cache             where the backbone's embeddings are cached (default runs/bench-suggest)
  --duplicate-photos  photos copied (re-encoded, resized, cropped) to check the near-duplicate threshold (0: skip)
  --out               the results JSON (default bench/results/suggest-<date>.json)`);
  process.exit(0);
}
if (!existsSync(values.data!)) {
  console.log(`bench/suggest: ${values.data} not found — skipped (it needs ../shared/data/cub100 beside the project)`);
  process.exit(0);
}
useAllCores();
const seeds = Number(values.seeds);
const count = Number(values.count);
const startShare = Number(values.start);
const log = (s: string) => console.log(s);
const began = performance.now();

const train = cubDataset(values.data!, { split: 'train' });
const test = cubDataset(values.data!, { split: 'test' });
const C = train.classes.length;
log(`cub100: ${train.samples.length} training and ${test.samples.length} test images, ${C} classes; backbone ${BACKBONE} (frozen)`);
const trainEmb = await embedDataset(train, `${values.cache}/train-${BACKBONE}.safetensors`, log);
const testEmb = await embedDataset(test, `${values.cache}/test-${BACKBONE}.safetensors`, log);
const yTrain = Int32Array.from(trainEmb.indices, (i) => train.samples[i]!.label);
const yTest = Int32Array.from(testEmb.indices, (i) => test.samples[i]!.label);
const testRows = Array.from(yTest, (_, i) => i);

// z-scored with the statistics of every training image (labels not needed)
const [xTrain, xTest] = scope(() => {
  const mean = trainEmb.embeddings.mean([0], { keepdim: true });
  const std = trainEmb.embeddings.std([0], { keepdim: true }).clamp(1e-6);
  return [trainEmb.embeddings.sub(mean).div(std), testEmb.embeddings.sub(mean).div(std)] as [Tensor, Tensor];
});

const allRows = Array.from(yTrain, (_, i) => i);
const full = trainProbe(xTrain, yTrain, allRows, C, 0);
const fullAccuracy = accuracy(full, xTest, yTest, testRows, C);
full.dispose();
log(`recipe check: the probe on every training label reaches ${(100 * fullAccuracy).toFixed(1)} % top-1`);

/** The starting labels: `startShare` of each class (at least one photo), shuffled by `rng`. */
function startingRows(rng: Rng): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    const rows = allRows.filter((r) => yTrain[r] === c);
    const take = Math.max(1, Math.round(startShare * rows.length));
    out.push(
      ...rng
        .permutation(rows.length)
        .slice(0, take)
        .map((i) => rows[i]!),
    );
  }
  return out.sort((a, b) => a - b);
}

const ARMS: { name: string; options?: Omit<RankOptions, 'count'> }[] = [
  { name: 'random' },
  { name: 'suggest (margin, pool 5N)', options: { uncertainty: 'margin' } },
  { name: 'suggest --uncertainty entropy', options: { uncertainty: 'entropy' } },
  { name: 'uncertainty alone (pool 1N)', options: { uncertainty: 'margin', poolFactor: 1 } },
  { name: 'diversity alone (pool all)', options: { uncertainty: 'margin', poolFactor: Infinity } },
];
const results: Record<string, number[]> = Object.fromEntries(ARMS.map((a) => [a.name, []]));
const starts: number[] = [];
const temperatures: number[] = [];
const duplicatesBehind: Record<string, number[]> = {};

for (let seed = 1; seed <= seeds; seed++) {
  const rng = new Rng(seed, 'bench-suggest');
  const labelled = startingRows(rng.fork('start'));
  const inL = new Set(labelled);
  const unlabelled = allRows.filter((r) => !inL.has(r));
  const p0 = trainProbe(xTrain, yTrain, labelled, C, seed);
  starts.push(accuracy(p0, xTest, yTest, testRows, C));
  const T = crossFittedTemperature(xTrain, yTrain, labelled, C, seed);
  temperatures.push(T);
  const probabilities = scope(() => {
    const logits = fromTypedArray(probeLogits(p0, xTrain, unlabelled), [unlabelled.length, C]);
    return softmax(logits.div(T), 1).contiguous().toTypedArray() as Float32Array;
  });
  p0.dispose();
  const pick = (rows: number[]) => scope(() => trainEmb.embeddings.indexSelect(0, tensor(rows, { dtype: 'int64' })).keep());
  const embeddings = pick(unlabelled);
  const labeledEmbeddings = pick(labelled);
  const line: string[] = [];
  for (const arm of ARMS) {
    let added: number[];
    if (!arm.options) {
      added = rng
        .fork('random')
        .permutation(unlabelled.length)
        .slice(0, count)
        .map((i) => unlabelled[i]!);
    } else {
      const r = rankSuggestions({ probabilities, numClasses: C, embeddings, labeledEmbeddings }, { count, ...arm.options });
      added = r.rows.map((x) => unlabelled[x.row]!);
      (duplicatesBehind[arm.name] ??= []).push(r.rows.reduce((s, x) => s + x.duplicates.length, 0) + r.nearLabeled.length);
    }
    const p = trainProbe(xTrain, yTrain, [...labelled, ...added], C, seed);
    const acc = accuracy(p, xTest, yTest, testRows, C);
    p.dispose();
    results[arm.name]!.push(acc);
    line.push(`${arm.name} ${(100 * acc).toFixed(1)}`);
  }
  embeddings.dispose();
  labeledEmbeddings.dispose();
  log(`seed ${seed}: ${labelled.length} labelled to start (${(100 * starts.at(-1)!).toFixed(1)} %, T ${T.toFixed(2)}); +${count}: ${line.join(', ')}`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const pct = (x: number) => f(100 * x, 1);
const random = results.random!;
const rows = ARMS.map((a) => {
  const xs = results[a.name]!;
  const diff = xs.map((x, i) => x - random[i]!);
  return [
    a.name,
    pct(mean(xs)),
    pct(sd(xs)),
    `${pct(Math.min(...xs))}–${pct(Math.max(...xs))}`,
    a.options ? `${diff[0]! >= 0 ? '+' : ''}${pct(mean(diff))} ± ${pct(sd(diff))}` : '',
    a.options ? `${diff.filter((d) => d > 0).length}/${diff.length}` : '',
  ];
});
log(`\nstart: ${pct(mean(starts))} ± ${pct(sd(starts))} % top-1 with ${startShare * 100} % of the labels; +${count} labels (mean over ${seeds} seeds):\n`);
log(table(['arm', 'top-1 %', 'sd', 'range', 'vs random (per seed)', 'seeds ahead'], rows));

let dup = null;
if (Number(values['duplicate-photos']) > 0) {
  dup = await duplicateStudy(train, trainEmb, Number(values['duplicate-photos']), DEFAULT_DUPLICATE_SIMILARITY, log);
  log(`\nnear-duplicates (cosine similarity to the original, ${dup.photos} photos):`);
  for (const [v, s] of Object.entries(dup.variants))
    log(`  ${v.padEnd(12)} min ${s.min.toFixed(3)}, 5th percentile ${s.p05.toFixed(3)}, median ${s.median.toFixed(3)}`);
  const c = dup.closestOther;
  log(
    `  closest other training photo: median ${c.median.toFixed(3)}, 95th ${c.p95.toFixed(3)}, 99th ${c.p99.toFixed(3)}, max ${c.max.toFixed(3)}; ${c.atOrAboveThreshold} of ${c.of} at or above ${dup.threshold}`,
  );
}
for (const t of [xTrain, xTest, trainEmb.embeddings, testEmb.embeddings]) t.dispose();

const seconds = (performance.now() - began) / 1000;
log(`\n${seconds.toFixed(0)} s on ${cpuModel()}`);
const out = values.out ?? `bench/results/suggest-${new Date().toISOString().slice(0, 10)}.json`;
writeFileSync(
  out,
  JSON.stringify(
    {
      benchmark: 'suggest',
      date: new Date().toISOString(),
      cpu: cpuModel(),
      seconds,
      data: values.data,
      backbone: BACKBONE,
      recipe: { kind: 'linear probe on frozen embeddings, z-scored', ...PROBE },
      startShare,
      count,
      seeds,
      fullLabelAccuracy: fullAccuracy,
      start: starts,
      temperatures,
      arms: Object.fromEntries(ARMS.map((a) => [a.name, { options: a.options ?? null, top1: results[a.name] }])),
      duplicatesBehind,
      duplicates: dup,
    },
    null,
    2,
  ) + '\n',
);
log(`wrote ${out}`);
