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
 * pool 2 × N, the labelled photos as centres) it ranks without the labelled photos as centres, with entropy, with uncertainty alone (pool 1 × N) and with diversity
 * alone (the core-set greedy over every photo), on the same draws.
 *
 *   npm run bench -- suggest [--seeds 5] [--count 200] [--data ../shared/data/cub100]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_OUTLIER_FRACTION, DEFAULT_POOL_FACTOR } from '../../src/active-learning/rank-suggestions.js';
import { DEFAULT_DUPLICATE_SIMILARITY } from '../../src/active-learning/near-duplicates.js';
import { cubDataset } from '../../src/data/datasets/cub.js';
import { Rng } from '../../src/data/random.js';
import { useAllCores } from '../../src/runtime/settings.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { cpuModel } from '../engine/machine.js';
import { f, table } from '../format.js';
import { duplicateStudy } from './duplicates.js';
import { BACKBONE, embedDataset } from './embed.js';
import { accuracy, PROBE, trainProbe } from './probe.js';
import { compare, stratified, type Arm, type Split } from './protocol.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/cub100' },
    seeds: { type: 'string', default: '5' },
    count: { type: 'string', default: '200' },
    start: { type: 'string', default: '0.1' },
    cache: { type: 'string', default: 'runs/bench-suggest' },
    'duplicate-photos': { type: 'string', default: '60' },
    tune: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: npm run bench -- suggest [--tune] [--seeds 5] [--count 200] [--start 0.1] [--data DIR] [--cache DIR] [--duplicate-photos 60] [--out FILE]

  --data              a CUB-style folder (default ../shared/data/cub100)
  --seeds             draws of the starting labels and of the random arm (default 5)
  --count             labels added by each arm (default 200)
  --start             the labelled share of the training images to start from (default 0.1)
  --cache             where the backbone's embeddings are cached (default runs/bench-suggest)
  --duplicate-photos  photos copied (re-encoded, resized, cropped) to check the near-duplicate threshold (0: skip)
  --tune              choose the defaults instead: a third of the training split is the evaluation set
                      (the test split is not scored); pool factors 1–5 and all, labelled photos as
                      centres or not, margin and entropy
  --out               the results JSON (default bench/results/suggest[-tune]-<date>.json)`);
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
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const pct = (x: number) => f(100 * x, 1);

let split: Split;
let arms: Arm[];
let fullAccuracy: number | null = null;
let addCount = count;
if (values.tune) {
  // Choosing the default on training photos alone: a third of each species is the evaluation set.
  const val = stratified(allRows, yTrain, C, 1 / 3, new Rng(0, 'bench-suggest-validation'));
  const inVal = new Set(val);
  const candidates = allRows.filter((r) => !inVal.has(r));
  // the same labels-to-pool proportion as the claim's run
  addCount = Math.round((count * candidates.length) / allRows.length);
  split = { x: xTrain, embeddings: trainEmb.embeddings, labels: yTrain, numClasses: C, candidates, evalX: xTrain, evalLabels: yTrain, evalRows: val };
  const margin = (poolFactor: number, outlierFraction: number) => ({ uncertainty: 'margin' as const, poolFactor, outlierFraction });
  // pool factors without outlier removal were compared first (20 seeds, bench/RESULTS.md); then these
  arms = [
    { name: 'random' },
    { name: 'margin, pool 2N', options: margin(2, 0) },
    ...[1, 2, 5].map((k) => ({ name: `margin, pool ${k}N, outliers 0.2`, options: margin(k, 0.2) })),
    { name: 'margin, pool 2N, outliers 0.4', options: margin(2, 0.4) },
    { name: 'margin, pool 2N, outliers 0.2, labelled not centres', options: margin(2, 0.2), labelledCentres: false },
  ];
  log(`tuning on the training split: ${candidates.length} candidates, ${val.length} validation photos, +${addCount} labels`);
} else {
  const full = trainProbe(xTrain, yTrain, allRows, C, 0);
  fullAccuracy = accuracy(full, xTest, yTest, testRows, C);
  full.dispose();
  log(`recipe check: the probe on every training label reaches ${(100 * fullAccuracy).toFixed(1)} % top-1`);
  split = {
    x: xTrain,
    embeddings: trainEmb.embeddings,
    labels: yTrain,
    numClasses: C,
    candidates: allRows,
    evalX: xTest,
    evalLabels: yTest,
    evalRows: testRows,
  };
  arms = [
    { name: 'random' },
    { name: `suggest (margin, pool ${DEFAULT_POOL_FACTOR}N, outliers ${DEFAULT_OUTLIER_FRACTION})`, options: {} },
    { name: 'suggest without --labeled (no centres)', options: {}, labelledCentres: false },
    { name: 'suggest --uncertainty entropy', options: { uncertainty: 'entropy' } },
    { name: 'suggest --outlier-fraction 0', options: { outlierFraction: 0 } },
    { name: 'uncertainty alone (pool 1N, no outliers out)', options: { poolFactor: 1, outlierFraction: 0 } },
    { name: 'diversity alone (core-set: pool all, no outliers out)', options: { poolFactor: Infinity, outlierFraction: 0 } },
  ];
}
const outcome = compare(split, arms, { seeds, count: addCount, startShare, log });
const random = outcome.top1.random!;
const rows = arms.map((a) => {
  const xs = outcome.top1[a.name]!;
  const diff = xs.map((x, i) => x - random[i]!);
  return [
    a.name,
    pct(mean(xs)),
    pct(sd(xs)),
    `${pct(Math.min(...xs))}–${pct(Math.max(...xs))}`,
    a.options ? `${mean(diff) >= 0 ? '+' : ''}${pct(mean(diff))} ± ${pct(sd(diff))}` : '',
    a.options ? `${diff.filter((d) => d > 0).length}/${diff.length}` : '',
  ];
});
log(
  `\nstart: ${pct(mean(outcome.start))} ± ${pct(sd(outcome.start))} % top-1 (${values.tune ? 'validation' : 'test'}) with ${startShare * 100} % of the labels; +${addCount} labels, ${seeds} seeds:\n`,
);
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
const out = values.out ?? `bench/results/suggest${values.tune ? '-tune' : ''}-${new Date().toISOString().slice(0, 10)}.json`;
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
      tune: !!values.tune,
      added: addCount,
      fullLabelAccuracy: fullAccuracy,
      start: outcome.start,
      startLabels: outcome.startLabels,
      temperatures: outcome.temperatures,
      arms: Object.fromEntries(
        arms.map((a) => [
          a.name,
          {
            options: a.options ? { ...a.options, poolFactor: a.options.poolFactor === Infinity ? 'all' : a.options.poolFactor } : null,
            labelledCentres: a.labelledCentres ?? true,
            top1: outcome.top1[a.name],
          },
        ]),
      ),
      duplicatesBehind: outcome.duplicates,
      duplicates: dup,
    },
    null,
    2,
  ) + '\n',
);
log(`wrote ${out}`);
