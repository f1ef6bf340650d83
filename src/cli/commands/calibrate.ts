/**
 * `finegrain calibrate --checkpoint C [--data VAL]`: the library's `calibrate()`
 * (open-world/calibrate-checkpoint.ts) behind flags — fits the open-world calibration of a
 * checkpoint and stores it in its sidecar `<name>.calibration.safetensors`.
 *
 * @example
 *   finegrain calibrate --checkpoint runs/a/checkpoints/best.safetensors
 *   finegrain calibrate --checkpoint model.safetensors --data val/ --bank-data train/ --method energy
 */
import { parseArgs } from 'node:util';
import { calibrate } from '../../open-world/calibrate-checkpoint.js';
import { DEFAULT_KNN_K, DEFAULT_OOD_METHOD, DEFAULT_PASS_RATE } from '../../open-world/calibration-fit.js';
import { isOodScoreName } from '../../open-world/ood/compute.js';
import { OOD_SCORE_DESCRIPTIONS, OOD_SCORES } from '../../open-world/ood/score.js';
import { useAllCores } from '../../runtime/settings.js';
import type { Device } from '../../tensor/device.js';
import { numberFlag, precisionFlag, usageError } from '../shared-flags.js';
import type { HeadChoice } from '../../open-world/choose-head.js';

const HELP = `usage: finegrain calibrate --checkpoint CKPT [--data VAL] [--bank-data TRAIN]
                           [--method ${OOD_SCORES.join('|')}] [--pass-rate 0.95] [--k ${DEFAULT_KNN_K}] [--head auto|trained|closed-form]

Fits the open-world calibration of a checkpoint and stores it beside it
(<checkpoint>.calibration.safetensors): temperature scaling, the statistics of every OOD
score, and a threshold per score that lets --pass-rate of the validation images through. It
also picks the head the model answers with: the trained classifier, or a closed-form LDA head
over the embeddings (class means and shared covariance) when that scores the validation images
clearly better — on small fine-grained sets it often does (docs/evaluation-and-open-world.md).

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
  --head H            auto (default: closed-form when its validation top-1 leads by at least one
                      point and two images), trained, or closed-form
  --seed N            seed of the split of --data when it has to be halved (default 0)
  --batch-size N      images per forward pass (default 32)
  --device DEV        cpu, cuda, cuda:N or auto (default auto)
  --precision P       auto (default, as serve uses: bfloat16 where fast), float32, bfloat16, float16 (CUDA)
  --json FILE         also write the fitted calibration's summary as JSON

example:
  finegrain calibrate --checkpoint runs/cars/checkpoints/best.safetensors   # the run's own validation split
  finegrain eval --checkpoint runs/cars/checkpoints/best.safetensors --data cars_test/ --ood birds/ --report report/`;

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
      head: { type: 'string' },
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
  const passRate = numberFlag(values['pass-rate'], '--pass-rate', (n) => n > 0 && n < 1, 'a number in (0, 1)') ?? DEFAULT_PASS_RATE;
  const k = numberFlag(values.k, '--k', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? DEFAULT_KNN_K;
  const seed = numberFlag(values.seed, '--seed', Number.isInteger, 'an integer') ?? 0;
  const batchSize = numberFlag(values['batch-size'], '--batch-size', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? 32;
  const split = (values.split ?? 'train') as 'train' | 'test' | 'all';
  if (!['train', 'test', 'all'].includes(split)) throw usageError(`--split must be train, test or all, got '${values.split}'`);
  const precision = precisionFlag(values.precision);
  const head = values.head ?? 'auto';
  if (!['auto', 'trained', 'closed-form'].includes(head)) throw usageError(`--head must be auto, trained or closed-form, got '${head}'`);
  // calibrate() checks the checkpoint and data itself (UsageErrors, printed as one line).
  const summary = await calibrate(values.checkpoint, {
    data: values.data,
    bankData: values['bank-data'],
    split,
    method,
    passRate,
    k,
    seed,
    batchSize,
    device: (values.device ?? 'auto') as Device | 'auto',
    precision,
    json: values.json,
    head: head as HeadChoice,
    onNote: (line) => console.log(line),
  });
  const m = summary.metrics;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  console.log(
    `temperature ${summary.temperature.toFixed(3)}; validation ECE (15 bins) ${pct(m.valEceBefore)} -> ${pct(m.valEceAfter)}; accuracy ${pct(m.valAccuracy)} on ${summary.validationImages} images`,
  );
  console.log(`thresholds at ${pct(passRate)} of validation images passing (default method: ${method}):`);
  for (const s of OOD_SCORES) console.log(`  ${s.padEnd(12)} ${summary.thresholds[s].toPrecision(6)}`);
  console.log(`wrote ${summary.path}`);
}
