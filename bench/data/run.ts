/**
 * bench/data: how fast the training pipeline feeds a model, finegrain against torchvision,
 * on the same machine in one run.
 *
 *  - The recipe: decode -> RandomResizedCrop(224) -> horizontal flip -> AutoAugment
 *    (ImageNet policy) -> normalise, batches of 32, one epoch over the training split of
 *    ../shared/data/cub100 (2,903 JPEGs). finegrain: sharp decoding on W libuv threads
 *    (UV_THREADPOOL_SIZE = W), batch transforms on the JS thread. torchvision: PIL +
 *    torchvision transforms in a DataLoader with W worker processes (bench/data/
 *    torchvision_pipeline.py under /usr/bin/python3). Target: finegrain >= 1.5x.
 *  - The consumer: one SGD training step of torchvision's resnet50 (fp32, batch 16, all
 *    cores) on the same machine, in images/s. The pipeline must outrun it.
 *
 * Rounds alternate the two pipelines (and which goes first), so load from other jobs hits
 * both alike; the verdict uses the median of per-round ratios.
 *
 * @example
 *   npm run bench -- data                         # table + bench/results/data-<date>.json
 *   npm run bench -- data --rounds 5 --workers 2 --images 1000
 */
// Before anything touches libuv's pool: its size is read once, at first use.
const workersArg = process.argv.indexOf('--workers');
process.env.UV_THREADPOOL_SIZE = workersArg > 0 ? process.argv[workersArg + 1] : (process.env.UV_THREADPOOL_SIZE ?? '2');

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildInfo, setNumThreads } from '../../src/index.js';
import {
  autoAugment,
  compose,
  cubDataset,
  DataLoader,
  normalize,
  randomHorizontalFlip,
  randomResizedCrop,
  subset,
  type ImageDataset,
} from '../../src/data/index.js';
import { cpuModel } from '../engine/machine.js';
import { pairedRatios, summarize, type Summary } from '../engine/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(root, 'bench/data/torchvision_pipeline.py');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: String(Math.min(availableParallelism(), 8)) },
    images: { type: 'string' },
    batch: { type: 'string', default: '32' },
    'resnet-batch': { type: 'string', default: '16' },
    'resnet-steps': { type: 'string', default: '3' },
    data: { type: 'string', default: join(root, '../shared/data/cub100') },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'usage: npm run bench -- data [--rounds 3] [--workers N] [--images N] [--batch 32] [--resnet-batch 16] [--resnet-steps 3] [--data DIR] [--out FILE]',
  );
  process.exit(0);
}
const rounds = Number(values.rounds);
const workers = Number(values.workers);
const batch = Number(values.batch);
if (!existsSync(join(values.data!, 'images.txt'))) {
  console.error(`bench/data needs the CUB subset at ${values.data} (../shared/data/cub100 beside the repository); pass --data DIR`);
  process.exit(1);
}

function python(args: string[]): any {
  const out = execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function finegrainEpoch(ds: ImageDataset, epoch: number): Promise<{ images: number; seconds: number; imagesPerSecond: number }> {
  const start = performance.now();
  const loader = new DataLoader(ds, {
    batchSize: batch,
    shuffle: true,
    seed: 0,
    transform: compose([randomResizedCrop(224), randomHorizontalFlip(), autoAugment('imagenet'), normalize()]),
  });
  let images = 0;
  for await (const b of loader.epoch(epoch)) {
    images += b.labelList.length;
    b.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  if (loader.decodeFailures.count) throw new Error(`finegrain skipped files: ${loader.decodeFailures.summary()}`);
  return { images, seconds, imagesPerSecond: images / seconds };
}

// Batch transforms run on the JS thread; decoding has the W pool threads.
setNumThreads(1);
let ds = cubDataset(values.data!, { split: 'train' });
if (values.images) ds = subset(ds, [...Array(Math.min(Number(values.images), ds.samples.length)).keys()]);
const dir = mkdtempSync(join(tmpdir(), 'fg-bench-data-'));
const list = join(dir, 'list.txt');
writeFileSync(list, ds.samples.map((s) => s.path).join('\n') + '\n');
const load0 = loadavg()[0]!;
const versions = python(['info']);
console.log(
  `bench/data: ${ds.samples.length} images of ${values.data}, batch ${batch}, ${workers} workers, ${rounds} rounds; ${cpuModel()}, ${availableParallelism()} cores, load ${load0.toFixed(1)}`,
);

const fg: number[] = [];
const tv: number[] = [];
try {
  await finegrainEpoch(subset(ds, [...Array(Math.min(64, ds.samples.length)).keys()]), 99); // warm up code paths
  for (let r = 0; r < rounds; r++) {
    const runFg = async () => fg.push((await finegrainEpoch(ds, r)).imagesPerSecond);
    const runTv = () =>
      tv.push(python(['pipeline', '--list', list, '--workers', String(workers), '--batch', String(batch), '--seed', String(r)]).imagesPerSecond);
    if (r % 2 === 0) {
      await runFg();
      runTv();
    } else {
      runTv();
      await runFg();
    }
    console.log(`  round ${r + 1}: finegrain ${fg.at(-1)!.toFixed(0)} img/s, torchvision ${tv.at(-1)!.toFixed(0)} img/s`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const resnet = python(['resnet50', '--batch', values['resnet-batch']!, '--steps', values['resnet-steps']!, '--threads', String(availableParallelism())]);
const load1 = loadavg()[0]!;

const fgS: Summary = summarize(fg);
const tvS: Summary = summarize(tv);
const ratio = summarize(pairedRatios(fg, tv));
const feed = fgS.median / resnet.imagesPerSecond;
const rows = [
  ['finegrain (sharp + batch ops)', `${fgS.median.toFixed(0)} img/s`, `[${fgS.p25.toFixed(0)}, ${fgS.p75.toFixed(0)}]`],
  ['torchvision + PIL DataLoader', `${tvS.median.toFixed(0)} img/s`, `[${tvS.p25.toFixed(0)}, ${tvS.p75.toFixed(0)}]`],
  ['resnet50 train step (torch)', `${resnet.imagesPerSecond.toFixed(1)} img/s`, `batch ${resnet.batch}, ${resnet.threads} threads`],
];
console.log('\n' + rows.map((r) => `${r[0]!.padEnd(32)} ${r[1]!.padStart(12)}   ${r[2]}`).join('\n'));
console.log(
  `\nfinegrain / torchvision: ${ratio.median.toFixed(2)}x (per-round ratios ${pairedRatios(fg, tv)
    .map((x) => x.toFixed(2))
    .join(', ')}), target >= 1.5: ${ratio.median >= 1.5 ? 'MET' : 'NOT MET'}`,
);
console.log(`pipeline / resnet50 training: ${feed.toFixed(1)}x, target > 1 (the pipeline outruns the step): ${feed > 1 ? 'MET' : 'NOT MET'}`);
if (Math.max(load0, load1) > availableParallelism() * 0.5)
  console.log(
    `note: load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${availableParallelism()} cores: other jobs shared the machine; rerun with more --rounds`,
  );

const result = {
  benchmark: 'data',
  date: new Date().toISOString(),
  machine: {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    node: process.version,
    libtorch: buildInfo().torchVersion,
    python: versions,
    loadAverage: { start: load0, end: load1 },
  },
  config: {
    images: ds.samples.length,
    batch,
    workers,
    rounds,
    recipe: 'decode, RandomResizedCrop(224), RandomHorizontalFlip, AutoAugment(ImageNet), Normalize',
  },
  finegrain: { imagesPerSecond: fg, summary: fgS },
  torchvision: { imagesPerSecond: tv, summary: tvS },
  ratio: { perRound: pairedRatios(fg, tv), median: ratio.median, target: 1.5, met: ratio.median >= 1.5 },
  resnet50: { ...resnet, pipelineOverStep: feed, met: feed > 1 },
};
const outFile = values.out ?? join(root, 'bench/results', `data-${result.date.slice(0, 10)}.json`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
console.log(`results: ${outFile}`);
