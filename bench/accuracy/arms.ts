/**
 * The four arms of bench/accuracy, each training on the same split and scored once on the
 * test images at its end:
 *
 * - `finegrain`: `finegrain train --pretrained imagenet --budget B` — the planned recipe, no
 *   recipe flags;
 * - `previous`: finegrain's defaults before the planner (SGD 0.01, AutoAugment, 10 epochs at
 *   224 px, crop scale 0.08), pinned by flags; one run, its wall time reported;
 * - `torch`: the PyTorch fine-tune a user would write (torch_finetune.py) at the same budget;
 * - `probe`: a linear probe on the frozen backbone (224 px), its weight decay chosen on the
 *   validation split.
 *
 * Every arm keeps its result in the work folder: a finished arm is not run again, so an
 * interrupted benchmark continues where it stopped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { embedDataset } from '../open-world/embed.js';
import { headLogits, trainLinearHead } from '../open-world/heads.js';
import { classificationReport } from '../../src/evaluation/metrics.js';
import { saveSafetensors } from '../../src/io/index.js';
import { loadPretrainedModel } from '../../src/models/pretrained/load-pretrained-model.js';
import { defaultPreprocess } from '../../src/models/registry.js';
import { buildModel } from '../../src/train/build-model.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { preprocessAt } from '../../src/train/run-state.js';
import { softmax } from '../../src/nn/functional/activation.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { testSet, trainingSplit, writeList, type BenchDataset } from './datasets.js';

/** One arm's outcome on one dataset (and budget). */
export interface ArmResult {
  arm: 'finegrain' | 'previous' | 'torch' | 'probe';
  dataset: string;
  /** Budget in seconds; null for arms without one (previous, probe). */
  budget: number | null;
  top1: number;
  top5: number;
  meanClassAccuracy: number;
  /** Wall seconds of training (everything before the test evaluation). */
  seconds: number;
  detail: Record<string, unknown>;
}

const root = resolve(new URL('../../..', import.meta.url).pathname);
const cli = join(root, 'build/src/cli/main.js');

/** The old schema defaults, pinned so the recipe planner fills nothing. */
export const PREVIOUS_DEFAULTS = [
  '--optimizer',
  'sgd',
  '--lr',
  '0.01',
  '--weight-decay',
  '1e-4',
  '--augment',
  'autoaugment',
  '--crop-scale',
  '0.08',
  '--epochs',
  '10',
  '--image-size',
  '224',
  '--warmup-epochs',
  '1',
  '--label-smoothing',
  '0.1',
];

function cached(file: string, make: () => Promise<ArmResult> | ArmResult): Promise<ArmResult> {
  if (existsSync(file)) return Promise.resolve(JSON.parse(readFileSync(file, 'utf8')) as ArmResult);
  return Promise.resolve(make()).then((r) => {
    writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
    return r;
  });
}

function finegrain(args: string[]): void {
  console.log(`[accuracy] finegrain ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  if (r.status !== 0) throw new Error(`finegrain ${args[0]} failed (exit ${r.status ?? r.signal})`);
}

/** The final evaluation of a finegrain checkpoint: the one reading of the test images. */
function evalOnTest(d: BenchDataset, checkpoint: string, out: string): { top1: number; top5: number; meanClassAccuracy: number } {
  finegrain(['eval', '--checkpoint', checkpoint, '--data', d.test.data, ...(d.test.split ? ['--split', d.test.split] : []), '--json', out]);
  const r = JSON.parse(readFileSync(out, 'utf8')) as { top1: number; top5: number; meanClassAccuracy: number };
  return { top1: r.top1, top5: r.top5, meanClassAccuracy: r.meanClassAccuracy };
}

/** A `finegrain train` run (resumed if a previous invocation was killed), then its test score. */
function trainedArm(work: string, d: BenchDataset, arm: 'finegrain' | 'previous', budget: number | null, flags: string[]): Promise<ArmResult> {
  const name = `${arm}-${d.name}${budget ? `-${budget}s` : ''}`;
  return cached(join(work, `${name}.json`), () => {
    const run = join(work, 'runs', name);
    const started = Date.now();
    if (existsSync(join(run, 'config.json'))) finegrain(['train', '--resume', run]);
    else
      finegrain([
        'train',
        '--data',
        d.train,
        '--model',
        'mobilenet_v2',
        '--pretrained',
        'imagenet',
        '--out',
        join(work, 'runs'),
        '--name',
        name,
        '--quiet',
        ...flags,
      ]);
    const seconds = (Date.now() - started) / 1000;
    const test = evalOnTest(d, join(run, 'checkpoints/best.safetensors'), join(work, `${name}.test.json`));
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
    const plan = existsSync(join(run, 'plan.json')) ? JSON.parse(readFileSync(join(run, 'plan.json'), 'utf8')) : null;
    return { arm, dataset: d.name, budget, ...test, seconds, detail: { run, config, plan } };
  });
}

export function finegrainArm(work: string, d: BenchDataset, budget: number): Promise<ArmResult> {
  return trainedArm(work, d, 'finegrain', budget, ['--budget', String(budget)]);
}

export function previousArm(work: string, d: BenchDataset): Promise<ArmResult> {
  return trainedArm(work, d, 'previous', null, PREVIOUS_DEFAULTS);
}

/**
 * The PyTorch baseline's starting weights: the ImageNet import with its BatchNorms
 * recalibrated on four batches of training images — finegrain's own `buildModel`, as its
 * fine-tuning starts —, saved with torchvision's key names (without that PyTorch trains from
 * placeholder statistics).
 */
export async function torchStartWeights(work: string, d: BenchDataset): Promise<string> {
  const file = join(work, `torch-start-${d.name}.safetensors`);
  if (existsSync(file)) return file;
  const data = trainingSplit(d);
  // What `finegrain train --pretrained imagenet` starts from: the same function builds it.
  const config = parseTrainConfig({ data: d.train, model: 'mobilenet_v2', pretrained: 'imagenet' });
  const { mean, std } = defaultPreprocess(config.model);
  const model = await buildModel(config, data.classes.length, data.train, preprocessAt({ config, normalization: { mean, std } }, 0));
  try {
    saveSafetensors(file, model.stateDict());
  } finally {
    model.dispose();
  }
  return file;
}

/** A PyTorch fine-tune at one learning rate, scored on validation (its model saved for `torchTest`). */
export interface TorchRun {
  name: string;
  lr: number;
  budget: number;
  epochs: number;
  seconds: number;
  valTop1: number;
  model: string;
}

/** One PyTorch fine-tune at a learning rate and budget, kept in the work folder. */
export async function torchRun(work: string, d: BenchDataset, budget: number, lr: number, python: string): Promise<TorchRun> {
  const name = `torch-${d.name}-${budget}s-lr${lr}`;
  const file = join(work, `${name}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TorchRun;
  const weights = await torchStartWeights(work, d);
  const data = trainingSplit(d);
  const lists = join(work, 'lists');
  mkdirSync(lists, { recursive: true });
  const model = join(work, `${name}.pt`);
  console.log(`[accuracy] python3 torch_finetune.py ${d.name} budget ${budget} s lr ${lr}`);
  const r = spawnSync(
    python,
    [
      join(root, 'bench/accuracy/torch_finetune.py'),
      '--weights',
      weights,
      '--train',
      writeList(join(lists, `${d.name}-train.csv`), data.train),
      '--val',
      writeList(join(lists, `${d.name}-val.csv`), data.val),
      '--classes',
      String(data.classes.length),
      '--budget',
      String(budget),
      '--lr',
      String(lr),
      '--out',
      join(work, `${name}.raw.json`),
      '--save',
      model,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], cwd: root },
  );
  if (r.status !== 0) throw new Error(`torch_finetune.py failed (exit ${r.status ?? r.signal})`);
  const raw = JSON.parse(readFileSync(join(work, `${name}.raw.json`), 'utf8')) as { trainSeconds: number; epochs: number; val: { top1: number } };
  const run: TorchRun = { name, lr, budget, epochs: raw.epochs, seconds: raw.trainSeconds, valTop1: raw.val.top1, model };
  writeFileSync(file, JSON.stringify(run, null, 2) + '\n');
  return run;
}

/** The chosen PyTorch run's final evaluation: the one reading of the test images. */
export function torchTest(work: string, d: BenchDataset, run: TorchRun, python: string): Promise<ArmResult> {
  return cached(join(work, `${run.name}.test-result.json`), () => {
    const data = trainingSplit(d);
    const out = join(work, `${run.name}.test.json`);
    const list = writeList(join(work, 'lists', `${d.name}-test.csv`), testSet(d, data.classes));
    const r = spawnSync(
      python,
      [join(root, 'bench/accuracy/torch_finetune.py'), '--load', run.model, '--test', list, '--classes', String(data.classes.length), '--out', out],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        cwd: root,
      },
    );
    if (r.status !== 0) throw new Error(`torch_finetune.py --load failed (exit ${r.status ?? r.signal})`);
    const t = JSON.parse(readFileSync(out, 'utf8')) as { top1: number; top5: number; meanClass: number };
    return {
      arm: 'torch',
      dataset: d.name,
      budget: run.budget,
      top1: t.top1,
      top5: t.top5,
      meanClassAccuracy: t.meanClass,
      seconds: run.seconds,
      detail: { lr: run.lr, epochs: run.epochs, valTop1: run.valTop1 },
    };
  });
}

/** Probabilities of a linear head on embeddings, [N, C]. */
function headProbs(head: ReturnType<typeof trainLinearHead>, x: Tensor): Tensor {
  return scope(() => softmax(headLogits(head, x), 1));
}

/** The linear probe: frozen 224-px embeddings, a head per weight decay, the best on validation scored on test. */
export function probeArm(work: string, d: BenchDataset): Promise<ArmResult> {
  return cached(join(work, `probe-${d.name}.json`), async () => {
    const started = Date.now();
    const data = trainingSplit(d);
    const model = loadPretrainedModel('mobilenet_v2', { numClasses: data.classes.length });
    try {
      const embed = (ds: typeof data.train) => embedDataset(model, ds, { imageSize: 224 });
      const [tr, va] = [await embed(data.train), await embed(data.val)];
      const asTensor = (e: typeof tr) => fromTypedArray(e.embeddings, [e.n, e.d]);
      const xTrain = asTensor(tr);
      const xVal = asTensor(va);
      let best = { wd: 0, acc: -1 };
      for (const wd of [1e-4, 1e-3, 1e-2, 1e-1]) {
        const head = trainLinearHead(xTrain, tr.labels, data.classes.length, { weightDecay: wd, steps: 300 });
        const acc = scope(() =>
          headProbs(head, xVal)
            .argmax(1)
            .eq(
              fromTypedArray(
                BigInt64Array.from(va.labels, (v) => BigInt(v)),
                [va.n],
              ),
            )
            .float()
            .mean()
            .item(),
        );
        head.dispose();
        if (acc > best.acc) best = { wd, acc };
      }
      const head = trainLinearHead(xTrain, tr.labels, data.classes.length, { weightDecay: best.wd, steps: 300 });
      const seconds = (Date.now() - started) / 1000;
      // The final evaluation: the test images' only reading.
      const te = await embed(testSet(d, data.classes));
      const xTest = asTensor(te);
      const probs = headProbs(head, xTest);
      const labels = fromTypedArray(
        BigInt64Array.from(te.labels, (v) => BigInt(v)),
        [te.n],
      );
      const report = classificationReport(probs, labels, [...data.classes], { topPairs: 0 });
      for (const t of [xTrain, xVal, xTest, probs, labels]) t.dispose();
      head.dispose();
      return {
        arm: 'probe',
        dataset: d.name,
        budget: null,
        top1: report.top1,
        top5: report.top5,
        meanClassAccuracy: report.meanClassAccuracy,
        seconds,
        detail: { weightDecay: best.wd, valTop1: best.acc },
      };
    } finally {
      model.dispose();
    }
  });
}
