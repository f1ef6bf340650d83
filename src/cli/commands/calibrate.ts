/**
 * `finegrain calibrate --checkpoint C [--data VAL]`: fits what the open-world answers need —
 * the feature bank and class statistics (from the training images), the softmax temperature
 * and a threshold per OOD score at the chosen in-distribution pass rate (from held-out
 * validation images) — and stores them in the checkpoint's sidecar
 * `<name>.calibration.safetensors`, which `eval --ood`, `serve` and `classifier()` find on
 * their own.
 *
 * Which images: when the checkpoint sits in its run folder, the run's own split (its training
 * images for the statistics, its validation images for temperature and thresholds), unless
 * --data / --bank-data name others. Without a run folder, --data is split in two (stratified,
 * seeded) so that no image both builds the bank and sets a threshold.
 *
 * @example
 *   finegrain calibrate --checkpoint runs/a/checkpoints/best.safetensors
 *   finegrain calibrate --checkpoint model.safetensors --data val/ --bank-data train/ --method energy
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageDataset } from '../../data/datasets/dataset.js';
import { stratifiedSplit } from '../../data/datasets/split.js';
import { loadModelFromCheckpoint } from '../../models/load-checkpoint.js';
import { calibrationPath } from '../../open-world/calibration.js';
import { DEFAULT_KNN_K, DEFAULT_OOD_METHOD, DEFAULT_PASS_RATE, fitCalibration } from '../../open-world/calibration-fit.js';
import { classifierHead, predictOutputs } from '../../open-world/model-outputs.js';
import { isOodScoreName } from '../../open-world/ood/compute.js';
import { OOD_SCORE_DESCRIPTIONS, OOD_SCORES } from '../../open-world/ood/score.js';
import { useAllCores } from '../../runtime/settings.js';
import { parseTrainConfig } from '../../train/config.js';
import { openLabeled, openTrainingData } from '../../train/datasets.js';
import { resolveDevice, resolvePrecision, type Precision } from '../../runtime/device-choice.js';
import { usageError } from './eval.js';
import { writeFileAtomic } from '../../io/atomic-write.js';

const HELP = `usage: finegrain calibrate --checkpoint CKPT [--data VAL] [--bank-data TRAIN]
                           [--method ${OOD_SCORES.join('|')}] [--pass-rate 0.95] [--k ${DEFAULT_KNN_K}]

Fits the open-world calibration of a checkpoint and stores it beside it
(<checkpoint>.calibration.safetensors): temperature scaling, the statistics of every OOD
score, and a threshold per score that lets --pass-rate of the validation images through.

  --checkpoint FILE   the finegrain checkpoint to calibrate (required)
  --data PATH         validation images (temperature, thresholds); default: the run's own
                      validation split when the checkpoint sits in its run folder. Never test data.
  --split S           for CUB-style folders: train (default), test or all
  --bank-data PATH    training images (feature bank, class means, covariance, ReAct clip);
                      default: the run's training split, else half of --data
  --method NAME       default OOD score of the verdicts (default ${DEFAULT_OOD_METHOD}):
${OOD_SCORES.map((s) => `                        ${s.padEnd(12)}${OOD_SCORE_DESCRIPTIONS[s]}`).join('\n')}
  --pass-rate R       fraction of in-distribution validation images each threshold passes,
                      in (0, 1) (default ${DEFAULT_PASS_RATE})
  --k N               neighbour rank of the knn score (default ${DEFAULT_KNN_K})
  --seed N            seed of the split of --data when it has to be halved (default 0)
  --batch-size N      images per forward pass (default 32)
  --device DEV        cpu, cuda, cuda:N or auto (default auto)
  --precision P       auto (default, as serve uses: bfloat16 where fast), float32, bfloat16, float16 (CUDA)
  --json FILE         also write the fitted calibration's summary as JSON

example:
  finegrain calibrate --checkpoint runs/cars/checkpoints/best.safetensors   # the run's own validation split
  finegrain eval --checkpoint runs/cars/checkpoints/best.safetensors --data cars_test/ --ood birds/ --report report/`;

interface Sources {
  bank: ImageDataset;
  val: ImageDataset;
  note: string;
}

function runSplit(checkpoint: string): { train: ImageDataset; val: ImageDataset } | null {
  const runDir = dirname(dirname(resolve(checkpoint)));
  const configFile = resolve(runDir, 'config.json');
  if (!existsSync(configFile)) return null;
  const config = parseTrainConfig(JSON.parse(readFileSync(configFile, 'utf8')));
  const data = openTrainingData(config);
  return { train: data.train, val: data.val };
}

function sources(
  checkpoint: string,
  classes: readonly string[],
  data: string | undefined,
  bankData: string | undefined,
  split: 'train' | 'test' | 'all',
  seed: number,
): Sources {
  const run = !data || !bankData ? runSplit(checkpoint) : null;
  const open = (p: string) => openLabeled(p, { split, classes });
  if (data && bankData) return { bank: open(bankData), val: open(data), note: `bank ${bankData}, validation ${data}` };
  if (run) {
    const val = data ? open(data) : { ...run.val, classes };
    const bank = bankData ? open(bankData) : run.train;
    return { bank, val, note: `bank ${bankData ?? "the run's training split"}, validation ${data ?? "the run's validation split"}` };
  }
  if (!data) throw usageError(`--data VAL is required: ${checkpoint} is not inside a run folder (no ../config.json)`);
  const all = open(data);
  const halves = stratifiedSplit(all, { valFraction: 0.5, seed });
  return { bank: halves.train, val: halves.val, note: `${data} split in halves (seed ${seed}): one for the bank, one for temperature and thresholds` };
}

function number(v: string | undefined, flag: string, ok: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!ok(n)) throw usageError(`${flag} must be ${what}, got '${v}'`);
  return n;
}

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      data: { type: 'string' },
      split: { type: 'string' },
      'bank-data': { type: 'string' },
      method: { type: 'string' },
      'pass-rate': { type: 'string' },
      k: { type: 'string' },
      seed: { type: 'string' },
      'batch-size': { type: 'string' },
      device: { type: 'string' },
      precision: { type: 'string' },
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
  const method = values.method ?? DEFAULT_OOD_METHOD;
  if (!isOodScoreName(method)) throw usageError(`--method must be one of ${OOD_SCORES.join(', ')}, got '${method}'`);
  const passRate = number(values['pass-rate'], '--pass-rate', (n) => n > 0 && n < 1, 'a number in (0, 1)') ?? DEFAULT_PASS_RATE;
  const k = number(values.k, '--k', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? DEFAULT_KNN_K;
  const seed = number(values.seed, '--seed', Number.isInteger, 'an integer') ?? 0;
  const batchSize = number(values['batch-size'], '--batch-size', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? 32;
  const split = (values.split ?? 'train') as 'train' | 'test' | 'all';
  if (!['train', 'test', 'all'].includes(split)) throw usageError(`--split must be train, test or all, got '${values.split}'`);
  const device = resolveDevice(values.device ?? 'auto');
  const requested = values.precision ?? 'auto';
  if (!['float32', 'bfloat16', 'float16', 'auto'].includes(requested))
    throw usageError(`--precision must be float32, bfloat16, float16 or auto, got '${requested}'`);
  const precision = resolvePrecision(requested as Precision | 'auto', device);
  const checkpoint = values.checkpoint;
  if (!existsSync(checkpoint)) throw usageError(`checkpoint not found: ${checkpoint}`);

  const loaded = loadModelFromCheckpoint(checkpoint, { device });
  try {
    const src = sources(checkpoint, loaded.meta.classes, values.data, values['bank-data'], split, seed);
    if (!src.val.samples.length) throw usageError('no validation images of the checkpoint classes');
    const opts = { device, precision, batchSize };
    console.log(`calibrating ${checkpoint}: ${src.note}`);
    const bank = await predictOutputs(loaded, src.bank, opts);
    const val = await predictOutputs(loaded, src.val, opts);
    try {
      if (bank.labels.length < k) throw usageError(`--k ${k} exceeds the ${bank.labels.length} readable bank images`);
      if (!val.labels.length) throw usageError('no validation image could be read');
      const head = classifierHead(loaded.model);
      const cal = fitCalibration({
        train: { embeddings: bank.embeddings, labels: bank.labels },
        val: { logits: val.logits, embeddings: val.embeddings, labels: val.labels },
        head: { weight: head.weight.cpu(), bias: head.bias.cpu() },
        numClasses: loaded.meta.classes.length,
        method,
        passRate,
        k,
        fittedOn: { source: src.note },
      });
      try {
        const path = cal.save(checkpoint);
        const m = cal.info.metrics as { valAccuracy: number; valEceBefore: number; valEceAfter: number };
        const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
        console.log(
          `temperature ${cal.temperature.toFixed(3)}; validation ECE (15 bins) ${pct(m.valEceBefore)} -> ${pct(m.valEceAfter)}; accuracy ${pct(m.valAccuracy)} on ${val.labels.length} images`,
        );
        console.log(`thresholds at ${pct(passRate)} of validation images passing (default method: ${method}):`);
        for (const s of OOD_SCORES) console.log(`  ${s.padEnd(12)} ${cal.info.thresholds[s]!.toPrecision(6)}`);
        console.log(`wrote ${path}`);
        if (values.json) writeFileAtomic(values.json, JSON.stringify({ path: calibrationPath(checkpoint), ...cal.toJSON() }, null, 2) + '\n');
      } finally {
        cal.dispose();
      }
    } finally {
      bank.dispose();
      val.dispose();
    }
  } finally {
    loaded.model.dispose();
  }
}
