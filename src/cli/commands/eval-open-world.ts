/**
 * `finegrain eval`'s open-world extensions, kept out of eval.ts (which only calls the two
 * hooks below):
 *
 * - `--ood DIR`: images of no known class; AUROC, FPR at 95 % TPR and AUPR (in and out) of
 *   every OOD score, and what the stored threshold does (coverage and accuracy of the
 *   accepted test images, share of unknowns rejected); score histograms as a PNG. Needs the
 *   checkpoint's calibration (`finegrain calibrate`).
 * - calibration: ECE (15 bins) of the test set before and after the stored temperature.
 * - `--corruptions LIST|all`: accuracy per corruption and severity, relative to clean, and
 *   the quality gate's detection rate of each corruption.
 * - `--report DIR`: index.html with every figure, report.json with every number (drawn and
 *   written by src/open-world/report/eval-report.ts).
 *
 * JSON keys (`--json` and report.json, under `openWorld`):
 *   calibration: { method, temperature, passRate, eceBefore, eceAfter, eceFloor: { mean, p95 },
 *                  debiasedBefore, debiasedAfter: { ece, l1, l2, l2Squared, l2StandardError, l2Upper, level },
 *                  reliabilityBefore[], reliabilityAfter[] }
 *   ood: { dir, images, scores: { <score>: { auroc, fpr95, auprIn, auprOut, threshold } },
 *          atThreshold: { method, threshold, coverage, acceptedAccuracy, oodRejected } }
 *   corruptions: { images, seed, clean, rows: [{ corruption, severity, accuracy, relative, qualityFlagged }] }
 *   figures: [file names in --report DIR]
 * Scores are higher for in-distribution images; rates are fractions in [0, 1].
 *
 * @example
 *   finegrain eval --checkpoint best.safetensors --data cub100 --ood birds-unknown/ --corruptions all --report out/
 */
import { existsSync } from 'node:fs';
import type { ImageDataset } from '../../data/datasets/dataset.js';
import type { ClassificationReport } from '../../evaluation/metrics.js';
import type { DatasetPredictions, EnsembleMember, PredictOptions } from '../../evaluation/predict-dataset.js';
import { predictDataset } from '../../evaluation/predict-dataset.js';
import type { CheckpointMeta } from '../../models/checkpoint/checkpoint.js';
import { openUnlabeled } from '../../train/datasets.js';
import { loadCalibration, type FittedCalibration } from '../../open-world/calibration.js';
import { CORRUPTION_ISSUE, CORRUPTIONS, isCorruptionName, type CorruptionName } from '../../data/corruptions/index.js';
import { predictCorrupted } from '../../open-world/predict-corrupted.js';
import { seededSample } from '../../data/datasets/sample.js';
import { auprIn, auprOut } from '../../open-world/metrics/aupr.js';
import { auroc } from '../../open-world/metrics/auroc.js';
import { calibrationErrorEstimate } from '../../open-world/metrics/debiased-ece.js';
import { ece, eceNoiseFloor, reliabilityBins } from '../../open-world/metrics/ece.js';
import { fprAtTpr } from '../../open-world/metrics/fpr-at-tpr.js';
import { logitsOf } from '../../open-world/model-outputs.js';
import { answeringLogits } from '../../open-world/choose-head.js';
import { mspScore } from '../../open-world/ood/msp.js';
import type { OodScoreName } from '../../open-world/ood/score.js';
import { qualityIssues } from '../../open-world/quality.js';
import { oodHistogramsSvg, writeEvalReport, type OodScoreRow, type OpenWorldPlots, type OpenWorldResult } from '../../open-world/report/eval-report.js';
import { writePng } from '../../open-world/report/svg.js';
import type { Tensor } from '../../tensor/tensor.js';
import { usageError } from '../shared-flags.js';

/** parseArgs definitions of the open-world flags. */
export const OPEN_WORLD_OPTIONS = {
  ood: { type: 'string' },
  'ood-plot': { type: 'string' },
  corruptions: { type: 'string' },
  severities: { type: 'string' },
  'corruption-limit': { type: 'string' },
  'corruption-seed': { type: 'string' },
  report: { type: 'string' },
} as const;

export const OPEN_WORLD_HELP = `open-world options (one checkpoint; see finegrain calibrate):
  --ood DIR           images of no known class (any folder layout): AUROC, FPR95, AUPR of
                      every OOD score, coverage/accuracy at the stored threshold, histograms
                      (needs the checkpoint's calibration)
  --ood-plot FILE     also write the score histograms of --ood as this PNG (with --report
                      they are DIR/ood-histograms.png anyway)
  --corruptions LIST  accuracy under corruptions, per severity and relative to clean: all, or
                      a comma list of ${CORRUPTIONS.join(', ')}
  --severities LIST   severities to run, from 1..5 (default 1,2,3,4,5)
  --corruption-limit N  corrupt only a seeded random sample of N test images, so every class
                      keeps its share (default all)
  --corruption-seed N seed of the random corruptions (noise, motion direction) and of the
                      --corruption-limit sample (default 0)
  --report DIR        write DIR/index.html with every figure and DIR/report.json`;

type Values = Record<string, unknown>;

export function openWorldRequested(values: Values): boolean {
  return values.ood !== undefined || values.corruptions !== undefined || values.report !== undefined || values['ood-plot'] !== undefined;
}

export interface OpenWorldContext {
  members: (EnsembleMember & { meta: CheckpointMeta; path: string })[];
  ds: ImageDataset;
  preds: DatasetPredictions;
  predict: PredictOptions;
  classes: readonly string[];
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a');

function parseList<T extends string>(spec: string, all: readonly T[], flag: string, isT: (s: string) => s is T): T[] {
  if (spec.trim() === 'all') return [...all];
  const out = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of out) if (!isT(s)) throw usageError(`${flag}: unknown '${s}' (expected all or a comma list of ${all.join(', ')})`);
  if (!out.length) throw usageError(`${flag} needs at least one name`);
  return out as T[];
}

function severities(spec: string | undefined): number[] {
  if (spec === undefined) return [1, 2, 3, 4, 5];
  const out = spec.split(',').map((s) => Number(s.trim()));
  for (const s of out) if (!(Number.isInteger(s) && s >= 1 && s <= 5)) throw usageError(`--severities must list integers from 1 to 5, got '${spec}'`);
  return out;
}

/** Checks the open-world flags before any model runs (bad input fails early, losing nothing). */
export function checkOpenWorldFlags(values: Values, checkpoints: number): void {
  if (!openWorldRequested(values)) return;
  if (checkpoints !== 1) throw usageError('--ood, --corruptions and --report work on one checkpoint (not an ensemble)');
  if (values.ood !== undefined && !existsSync(values.ood as string)) throw usageError(`--ood: ${values.ood} not found`);
  if (values.corruptions !== undefined) parseList(values.corruptions as string, CORRUPTIONS, '--corruptions', isCorruptionName);
  severities(values.severities as string | undefined);
}

/**
 * The logits the model answers with — its trained head's, or the closed-form head's when the
 * calibration chose it — which the calibration's temperature and thresholds were fitted on.
 */
function answeringLogitsOf(model: Parameters<typeof logitsOf>[0], cal: FittedCalibration | null, embeddings: Tensor): Tensor {
  const trained = logitsOf(model, embeddings);
  if (!cal) return trained;
  const answered = answeringLogits(cal, trained, embeddings);
  if (answered !== trained) trained.dispose();
  return answered;
}

/** Hook 1 (after eval's predictions): computes and prints the open-world measures. */
export async function evalOpenWorld(values: Values, ctx: OpenWorldContext): Promise<OpenWorldResult | null> {
  if (!openWorldRequested(values)) return null;
  const member = ctx.members[0]!;
  const result: OpenWorldResult = { calibration: null, ood: null, corruptions: null, figures: [], plots: {} };
  const cal = loadCalibration(member.path);
  if (values.ood !== undefined && !cal)
    throw usageError(
      `${member.path} has no calibration (no ${member.path.replace(/\.safetensors$/, '')}.calibration.safetensors): run finegrain calibrate --checkpoint ${member.path} --data VAL first`,
    );
  const idLogits = answeringLogitsOf(member.model, cal, ctx.preds.embeddings);
  try {
    const labels = Array.from(ctx.preds.labels.toTypedArray() as BigInt64Array, Number);
    if (cal) result.calibration = calibrationSection(cal, idLogits, labels, result.plots!);
    if (values.ood !== undefined) result.ood = await oodSection(values.ood as string, cal!, member, ctx, idLogits, labels, result.plots!);
    if (values['ood-plot'] !== undefined && result.plots!.histograms) await writePng(values['ood-plot'] as string, oodHistogramsSvg(result.plots!.histograms));
  } finally {
    idLogits.dispose();
    cal?.dispose();
  }
  if (values.corruptions !== undefined) result.corruptions = await corruptionSection(values, member, ctx, result.plots!);
  return result;
}

function calibrationSection(cal: FittedCalibration, logits: Tensor, labels: number[], plots: OpenWorldPlots): Record<string, unknown> {
  const pred = Array.from(logits.argmax(1).toTypedArray() as BigInt64Array, Number);
  const correct = pred.map((p, i) => p === labels[i]);
  const before = mspScore(logits, 1);
  const after = mspScore(logits, cal.temperature);
  const out = {
    method: cal.method,
    temperature: cal.temperature,
    passRate: cal.info.passRate,
    eceBefore: ece(before, correct),
    eceAfter: ece(after, correct),
    // What a perfectly calibrated model would score on this many images (after scaling).
    eceFloor: eceNoiseFloor(after),
    // The calibration error with the small-sample bias removed, and the largest one the test set cannot rule out.
    debiasedBefore: calibrationErrorEstimate(before, correct),
    debiasedAfter: calibrationErrorEstimate(after, correct),
    reliabilityBefore: reliabilityBins(before, correct),
    reliabilityAfter: reliabilityBins(after, correct),
  };
  plots.reliability = { before: out.reliabilityBefore, after: out.reliabilityAfter };
  console.log(`\ncalibration: temperature ${cal.temperature.toFixed(3)}; test ECE (15 bins) ${pct(out.eceBefore)} before, ${pct(out.eceAfter)} after`);
  console.log(
    `  a perfectly calibrated model would show ${pct(out.eceFloor.mean)} (95th percentile ${pct(out.eceFloor.p95)}) on these ${correct.length} images: below that, ECE cannot tell`,
  );
  const d = out.debiasedAfter;
  console.log(
    `  after, debiased (Kumar et al. 2019): ℓ1 ${pct(d.l1)}, ℓ2 ${pct(d.l2)}; at ${100 * d.level} % confidence the ℓ2 error, and so the ECE a larger test set would find, is at most ${pct(d.l2Upper)}`,
  );
  return out;
}

async function oodSection(
  dir: string,
  cal: FittedCalibration,
  member: OpenWorldContext['members'][number],
  ctx: OpenWorldContext,
  idLogits: Tensor,
  labels: number[],
  plots: OpenWorldPlots,
): Promise<Record<string, unknown>> {
  const oodDs = openUnlabeled(dir);
  if (!oodDs.samples.length) throw usageError(`--ood: ${dir} holds no images (${oodDs.skipped.summary?.() ?? 'nothing readable'})`);
  const preds = await predictDataset(member, oodDs, ctx.predict);
  try {
    if (!preds.indices.length) throw usageError(`--ood: no image of ${dir} could be read (${preds.skipped})`);
    const oodLogits = answeringLogitsOf(member.model, cal, preds.embeddings);
    try {
      const scores: Partial<Record<OodScoreName, OodScoreRow>> = {};
      plots.histograms = [];
      for (const m of cal.methods()) {
        const id = Array.from(cal.score(m, idLogits, ctx.preds.embeddings));
        const ood = Array.from(cal.score(m, oodLogits, preds.embeddings));
        scores[m] = {
          auroc: auroc(id, ood),
          fpr95: fprAtTpr(id, ood),
          auprIn: auprIn(id, ood),
          auprOut: auprOut(id, ood),
          threshold: cal.info.thresholds[m] ?? null,
        };
        plots.histograms.push({ title: `${m}: AUROC ${(100 * scores[m].auroc).toFixed(1)}`, id, ood, threshold: cal.info.thresholds[m] });
      }
      // The stored default threshold on this test set and these unknowns.
      const thr = cal.threshold();
      const idV = cal.score(cal.method, idLogits, ctx.preds.embeddings);
      const oodV = cal.score(cal.method, oodLogits, preds.embeddings);
      const pred = Array.from(idLogits.argmax(1).toTypedArray() as BigInt64Array, Number);
      let accepted = 0;
      let acceptedRight = 0;
      idV.forEach((s, i) => {
        if (s >= thr) {
          accepted++;
          if (pred[i] === labels[i]) acceptedRight++;
        }
      });
      const atThreshold = {
        method: cal.method,
        threshold: thr,
        coverage: accepted / idV.length,
        acceptedAccuracy: accepted ? acceptedRight / accepted : NaN,
        oodRejected: oodV.filter((s) => !(s >= thr)).length / oodV.length,
      };
      console.log(`\nout-of-distribution: ${idV.length} known-class test images against ${oodV.length} unknowns from ${dir}`);
      console.log(`  ${'score'.padEnd(12)} ${'AUROC'.padStart(7)} ${'FPR95'.padStart(7)} ${'AUPR-in'.padStart(8)} ${'AUPR-out'.padStart(8)}`);
      for (const [m, r] of Object.entries(scores))
        console.log(
          `  ${m.padEnd(12)} ${(100 * r.auroc).toFixed(2).padStart(7)} ${(100 * r.fpr95).toFixed(2).padStart(7)} ${(100 * r.auprIn).toFixed(2).padStart(8)} ${(100 * r.auprOut).toFixed(2).padStart(8)}`,
        );
      console.log(
        `  at the stored ${cal.method} threshold: coverage ${pct(atThreshold.coverage)}, accuracy of accepted ${pct(atThreshold.acceptedAccuracy)}, unknowns rejected ${pct(atThreshold.oodRejected)}`,
      );
      return { dir, images: oodV.length, scores, atThreshold };
    } finally {
      oodLogits.dispose();
    }
  } finally {
    preds.dispose();
  }
}

async function corruptionSection(
  values: Values,
  member: OpenWorldContext['members'][number],
  ctx: OpenWorldContext,
  plots: OpenWorldPlots,
): Promise<Record<string, unknown>> {
  const names = parseList(values.corruptions as string, CORRUPTIONS, '--corruptions', isCorruptionName);
  const sev = severities(values.severities as string | undefined);
  const limitV = values['corruption-limit'] as string | undefined;
  const limit = limitV === undefined ? Infinity : Number(limitV);
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 1))) throw usageError(`--corruption-limit must be a positive integer, got '${limitV}'`);
  const seed = values['corruption-seed'] === undefined ? 0 : Number(values['corruption-seed']);
  if (!Number.isInteger(seed)) throw usageError(`--corruption-seed must be an integer, got '${values['corruption-seed']}'`);
  // A sample across the set, not its first N files (a folder per class lists class by class).
  const ds = { ...ctx.ds, samples: seededSample(ctx.ds.samples, limit, seed) };
  const opts = {
    imageSize: member.preprocess.inputSize,
    seed,
    batchSize: ctx.predict.batchSize ?? 32,
    mean: member.preprocess.mean,
    std: member.preprocess.std,
    // The classifier's own route: its prepared model holds bf16 weights on the bf16 route.
    device: ctx.predict.device,
    precision: ctx.predict.precision,
  };
  const acc = (c: boolean[]) => c.filter(Boolean).length / Math.max(1, c.length);
  const clean = await predictCorrupted(member.model, ds, { ...opts, corruption: null, severity: 0 });
  const cleanAcc = acc(clean.correct);
  const cleanFlagged = clean.quality.filter((q) => qualityIssues(q).length > 0).length / Math.max(1, clean.quality.length);
  const rows: { corruption: CorruptionName; severity: number; accuracy: number; relative: number; qualityFlagged: number; issueDetected: number | null }[] = [];
  plots.corruptions = { severities: sev, rows: new Map() };
  console.log(`\ncorruptions on ${clean.labels.length} test images: clean accuracy ${pct(cleanAcc)} (quality gate flags ${pct(cleanFlagged)} of clean images)`);
  for (const name of names) {
    const line: number[] = [];
    for (const s of sev) {
      const r = await predictCorrupted(member.model, ds, { ...opts, corruption: name, severity: s });
      const a = acc(r.correct);
      const issues = r.quality.map((q) => qualityIssues(q));
      const issue = CORRUPTION_ISSUE[name];
      rows.push({
        corruption: name,
        severity: s,
        accuracy: a,
        relative: cleanAcc > 0 ? a / cleanAcc : NaN,
        qualityFlagged: issues.filter((i) => i.length > 0).length / Math.max(1, issues.length),
        issueDetected: issue ? issues.filter((i) => i.includes(issue)).length / Math.max(1, issues.length) : null,
      });
      line.push(a);
    }
    plots.corruptions.rows.set(name, line);
    const mine = rows.filter((r) => r.corruption === name);
    console.log(`  ${name.padEnd(15)} ${mine.map((r) => `s${r.severity} ${pct(r.accuracy)} (${r.relative.toFixed(2)}x)`).join('  ')}`);
  }
  return { images: clean.labels.length, seed, clean: { accuracy: cleanAcc, qualityFlagged: cleanFlagged }, rows };
}

/** Hook 2 (after eval's result is complete): writes the report of `--report DIR` (open-world/report/eval-report.ts). */
export async function writeOpenWorldReport(
  values: Values,
  result: Record<string, unknown> & ClassificationReport,
  openWorld: OpenWorldResult | null,
): Promise<void> {
  const dir = values.report as string | undefined;
  if (!dir || !openWorld) return;
  const page = await writeEvalReport(dir, result, openWorld);
  console.log(`\nreport: ${page}`);
}
