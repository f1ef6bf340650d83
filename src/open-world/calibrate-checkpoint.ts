/**
 * `calibrate()`: fits what the open-world answers need for one checkpoint — the feature bank
 * and class statistics (from training images), the softmax temperature and a threshold per
 * OOD score at the chosen in-distribution pass rate (from held-out validation images) — and
 * stores them in the checkpoint's sidecar `<name>.calibration.safetensors`, which
 * `classifier()`, `finegrain serve` and `eval --ood` find on their own. `finegrain calibrate`
 * is this function behind flags.
 *
 * Which images: when the checkpoint sits in its run folder, the run's own split (its training
 * images for the statistics, its validation images for temperature and thresholds), unless
 * `data` / `bankData` name others. Without a run folder, `data` is split in two (stratified,
 * seeded) so that no image both builds the bank and sets a threshold.
 *
 * @example
 *   const summary = await calibrate('runs/cars/checkpoints/best.safetensors');
 *   summary.temperature;             // 1.42
 *   summary.thresholds.knn;          // the knn score's threshold
 */
import { existsSync } from 'node:fs';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { stratifiedSplit } from '../data/datasets/split.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import { resolveDevice, resolvePrecision, type Precision } from '../runtime/device-choice.js';
import type { Device } from '../tensor/device.js';
import { openLabeled } from '../train/datasets.js';
import { runTrainingData } from '../train/run-data.js';
import { UsageError } from '../usage-error.js';
import { calibrationPath } from './calibration.js';
import { DEFAULT_KNN_K, DEFAULT_OOD_METHOD, DEFAULT_PASS_RATE, fitCalibration } from './calibration-fit.js';
import { classifierHead, predictOutputs } from './model-outputs.js';
import { chooseHead, trainedClosedFormHead, type HeadChoice, type HeadDecision } from './choose-head.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { OOD_SCORES, type OodScoreName } from './ood/score.js';

/** Options of `calibrate`: which images, which OOD score and pass rate, and how to run the model. */
export interface CalibrateOptions {
  /** Validation images (temperature, thresholds): a folder or CSV; default the run's own validation split. Never test data. */
  data?: string;
  /** Training images (feature bank, class means, covariance, ReAct clip); default the run's training split, else half of `data`. */
  bankData?: string;
  /** For CUB-style folders: which split of `data` / `bankData` (default 'train'). */
  split?: 'train' | 'test' | 'all';
  /** The OOD score the verdicts use by default (default 'knn'). */
  method?: OodScoreName;
  /** Fraction of in-distribution validation images each threshold lets through, in (0, 1) (default 0.95). */
  passRate?: number;
  /** Neighbour rank of the knn score (default 10). */
  k?: number;
  /** Seed of the split of `data` when it has to be halved (default 0). */
  seed?: number;
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Default 'auto': CUDA when available, else CPU. */
  device?: Device | 'auto';
  /** Default 'auto': as `classifier()` and `serve` run (bfloat16 where fast). */
  precision?: Precision | 'auto';
  /** Which head the model answers with: 'auto' (default: the closed-form head when validation clearly prefers it), 'trained' or 'closed-form'. */
  head?: HeadChoice;
  /** Also write the summary as JSON to this file. */
  json?: string;
  /** Progress lines (which images, then the result); default: none. */
  onNote?: (line: string) => void;
}

/** What was fitted and where it went. */
export interface CalibrationSummary {
  /** The sidecar written beside the checkpoint. */
  path: string;
  /** Which images built the bank and which set temperature and thresholds. */
  source: string;
  /** The fitted softmax temperature: logits are divided by it before the softmax (above 1 softens over-confident answers). */
  temperature: number;
  /** Validation accuracy and expected calibration error (15 bins) before and after temperature scaling, as fractions. */
  metrics: {
    /** Top-1 accuracy on the validation images. */
    valAccuracy: number;
    /** Expected calibration error of the raw softmax. */
    valEceBefore: number;
    /** Expected calibration error after temperature scaling. */
    valEceAfter: number;
  };
  /** The threshold of every OOD score at `passRate`. */
  thresholds: Record<OodScoreName, number>;
  /** The OOD score the verdicts use by default. */
  method: OodScoreName;
  /** Fraction of in-distribution validation images each threshold lets through. */
  passRate: number;
  /** Validation images used. */
  validationImages: number;
  /** The head the model answers with, and the validation accuracies the choice rests on. */
  head: HeadDecision;
}

function sources(checkpoint: string, classes: readonly string[], o: CalibrateOptions): { bank: ImageDataset; val: ImageDataset; note: string } {
  const { data, bankData, split = 'train', seed = 0 } = o;
  const run = !data || !bankData ? runTrainingData(checkpoint) : null;
  const open = (p: string) => openLabeled(p, { split, classes });
  if (data && bankData) return { bank: open(bankData), val: open(data), note: `bank ${bankData}, validation ${data}` };
  if (run) {
    const val = data ? open(data) : { ...run.val, classes };
    const bank = bankData ? open(bankData) : run.train;
    return { bank, val, note: `bank ${bankData ?? "the run's training split"}, validation ${data ?? "the run's validation split"}` };
  }
  if (!data) throw new UsageError(`validation data (--data VAL) is required: ${checkpoint} is not inside a run folder (no ../config.json)`);
  const halves = stratifiedSplit(open(data), { valFraction: 0.5, seed });
  return { bank: halves.train, val: halves.val, note: `${data} split in halves (seed ${seed}): one for the bank, one for temperature and thresholds` };
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UsageError(message);
}

/**
 * Fits the open-world calibration of a checkpoint and stores it beside it. Bad options and
 * data are `UsageError`s naming what is wrong; nothing is written unless the fit succeeds.
 */
export async function calibrate(checkpoint: string, options: CalibrateOptions = {}): Promise<CalibrationSummary> {
  const { method = DEFAULT_OOD_METHOD, passRate = DEFAULT_PASS_RATE, k = DEFAULT_KNN_K, batchSize = 32, split = 'train' } = options;
  check((OOD_SCORES as readonly string[]).includes(method), `method must be one of ${OOD_SCORES.join(', ')}, got '${method}'`);
  check(passRate > 0 && passRate < 1, `passRate must be a number in (0, 1), got ${passRate}`);
  check(Number.isInteger(k) && k >= 1, `k must be a positive integer, got ${k}`);
  check(Number.isInteger(batchSize) && batchSize >= 1, `batchSize must be a positive integer, got ${batchSize}`);
  check(['train', 'test', 'all'].includes(split), `split must be train, test or all, got '${split}'`);
  check(existsSync(checkpoint), `checkpoint not found: ${checkpoint}`);
  const device = resolveDevice(options.device ?? 'auto');
  const precision = resolvePrecision(options.precision ?? 'auto', device);
  const note = options.onNote ?? (() => {});

  const loaded = loadModelFromCheckpoint(checkpoint, { device });
  try {
    const src = sources(checkpoint, loaded.meta.classes, { ...options, split });
    check(src.val.samples.length > 0, 'no validation images of the checkpoint classes');
    const opts = { device, precision, batchSize };
    note(`calibrating ${checkpoint}: ${src.note}`);
    const bank = await predictOutputs(loaded, src.bank, opts);
    const val = await predictOutputs(loaded, src.val, opts);
    try {
      check(bank.labels.length >= k, `k ${k} exceeds the ${bank.labels.length} readable bank images`);
      check(val.labels.length > 0, 'no validation image could be read');
      const head = classifierHead(loaded.model);
      const fit = (logits: Tensor, h: { weight: Tensor; bias: Tensor }) =>
        fitCalibration({
          train: { embeddings: bank.embeddings, labels: bank.labels },
          val: { logits, embeddings: val.embeddings, labels: val.labels },
          head: h,
          numClasses: loaded.meta.classes.length,
          method,
          passRate,
          k,
          fittedOn: { source: src.note },
        });
      let cal = fit(val.logits, { weight: head.weight.cpu(), bias: head.bias.cpu() });
      // The trained head, or the closed-form head when validation clearly prefers it
      // (choose-head.ts): temperature and thresholds are then fitted on its logits.
      const s = cal.stats;
      const stats = { classMeans: s.classMeans!, precision: s.precision!, headWeight: s.headWeight!, headBias: s.headBias! };
      const decision = chooseHead(stats, val.embeddings, val.labels, (cal.info.metrics as { valAccuracy: number }).valAccuracy, options.head ?? 'auto');
      if (decision.kind === 'closed-form') {
        const cf = trainedClosedFormHead(stats, decision.shrinkage, decision.meanScale);
        const logits = scope(() => val.embeddings.float().mm(cf.weight.t()).add(cf.bias));
        try {
          const refit = fit(logits, cf);
          cal.dispose();
          cal = refit;
        } finally {
          for (const t of [logits, cf.weight, cf.bias]) t.dispose();
        }
      }
      cal.info.head = decision;
      note(
        `head: ${decision.kind} (validation top-1: trained ${(decision.trainedValAccuracy * 100).toFixed(1)} %, closed-form α ${decision.shrinkage} β ${(decision.meanScale ?? 1).toFixed(2)} ${(decision.closedFormValAccuracy * 100).toFixed(1)} %)`,
      );
      try {
        const path = cal.save(checkpoint);
        const summary: CalibrationSummary = {
          path,
          source: src.note,
          temperature: cal.temperature,
          metrics: cal.info.metrics as CalibrationSummary['metrics'],
          thresholds: Object.fromEntries(OOD_SCORES.map((s) => [s, cal.info.thresholds[s]!])) as Record<OodScoreName, number>,
          method,
          passRate,
          validationImages: val.labels.length,
          head: cal.info.head!,
        };
        if (options.json) writeFileAtomic(options.json, JSON.stringify({ path: calibrationPath(checkpoint), ...cal.toJSON() }, null, 2) + '\n');
        return summary;
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
