/**
 * The quality-gate stage of bench/open-world: fits the gate's thresholds on one half of the
 * photos and measures detection of the corruption suite and false alarms on the other half.
 * Needs no model (only decoding, the corruptions and the measures), so it runs without the
 * embedding cache.
 *
 * Photos: seeded samples of the cub100 and cars33 test splits, half of each for fitting and
 * half for evaluation. Each clean photo is measured twice — decoded as the suite decodes
 * (224 × 224) and as `classify` judges it for a 224-px model (the centre crop the model sees
 * of its decoded copy, qualityView: the file's own JPEG grid intact when the photo is small) —, and part of each half is corrupted with every
 * corruption at severities 1–5 (severity >= 3 is the goal's "should be flagged").
 * fitThresholds sets the thresholds from the fitting half; gateRates reports the evaluation
 * half. Measures are cached as JSON.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORRUPTION_ISSUE, CORRUPTIONS, corrupt, type CorruptionName } from '../../src/data/corruptions/index.js';
import { Rng } from '../../src/data/random.js';
import { defaultPreprocess } from '../../src/models/registry.js';
import { decodeResized } from '../../src/open-world/predict-corrupted.js';
import {
  HIGHLIGHT_CLIPPED,
  qualityIssues,
  qualityMeasures,
  type QualityMeasures,
  type QualityThresholds,
  DEFAULT_QUALITY_THRESHOLDS,
} from '../../src/open-world/quality.js';
import { decodeInput } from '../../src/pipeline/input.js';
import { qualityView } from '../../src/pipeline/served-answers.js';
import { openLabeled } from '../../src/train/datasets.js';
import { SIZE } from './stage-corrupt.js';

export interface GateOptions {
  /** Clean photos in all (half cub100, half cars33; half of each fits, half evaluates). */
  clean: number;
  /** Photos that are also corrupted, in all (a quarter from each dataset in each half). */
  corrupted: number;
}

/** Measures of one half of the photos: clean as the suite decodes them, clean as served, corrupted. */
interface GateHalf {
  suite: QualityMeasures[];
  served: QualityMeasures[];
  corrupted: Record<CorruptionName, Record<number, QualityMeasures[]>>;
}

interface GateData {
  fit: GateHalf;
  evaluation: GateHalf;
}

async function measureHalf(paths: string[], corruptPaths: string[], log: (s: string) => void): Promise<GateHalf> {
  const measure = (ims: { data: Uint8Array; width: number; height: number }[]) => ims.map((im) => qualityMeasures({ ...im, channels: 3 }));
  const decode = (ps: string[]) => Promise.all(ps.map((p) => decodeResized(p, SIZE)));
  const suite = measure(await decode(paths));
  const preprocess = defaultPreprocess('mobilenet_v2');
  const served = measure(await Promise.all(paths.map(async (p) => qualityView(await decodeInput(p, preprocess), preprocess))));
  const clean = await decode(corruptPaths);
  const corrupted = {} as GateHalf['corrupted'];
  for (const c of CORRUPTIONS) {
    corrupted[c] = {};
    for (const s of [1, 2, 3, 4, 5]) corrupted[c][s] = measure(await Promise.all(clean.map((im, i) => corrupt(im, c, s, { seed: 0, key: corruptPaths[i]! }))));
  }
  log(`${paths.length} clean photos (2 decodes), ${corruptPaths.length} corrupted (9 corruptions x 5 severities)`);
  return { suite, served, corrupted };
}

async function measureAll(shared: string, o: GateOptions): Promise<GateData> {
  const sample = (dir: string, n: number, seed: number, options?: { split: 'test' }) => {
    const ds = openLabeled(dir, options);
    return new Rng(seed, 'quality-gate')
      .permutation(ds.samples.length)
      .slice(0, n)
      .map((i) => ds.samples[i]!.path);
  };
  const q = o.clean / 4;
  const nc = o.corrupted / 4;
  const cub = sample(join(shared, 'data/cub100'), 2 * q, 1, { split: 'test' });
  const cars = sample(join(shared, 'data/cars33/test'), 2 * q, 2);
  const t0 = Date.now();
  const log = (s: string) => console.log(`[gate ${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}`);
  const half = (from: number) => {
    const paths = [...cub.slice(from, from + q), ...cars.slice(from, from + q)];
    return measureHalf(paths, [...cub.slice(from, from + nc), ...cars.slice(from, from + nc)], log);
  };
  return { fit: await half(0), evaluation: await half(q) };
}

type Rule = { key: keyof QualityMeasures; low: boolean; field: keyof QualityThresholds; applies?: (m: QualityMeasures) => boolean };

/** The fitted rules: each a measure, its direction and the threshold field it sets. */
const RULES: Rule[] = [
  { key: 'meanLuminance', low: true, field: 'minMeanLuminance' },
  { key: 'highlightLevel', low: true, field: 'minHighlightLevel' },
  { key: 'meanLuminance', low: false, field: 'maxMeanLuminance' },
  { key: 'brightFraction', low: false, field: 'maxBrightFraction' },
  { key: 'shadowLevel', low: false, field: 'maxShadowLevel', applies: (m) => m.highlightLevel >= HIGHLIGHT_CLIPPED },
  { key: 'contrast', low: true, field: 'minContrast' },
  { key: 'laplacianVariance', low: true, field: 'minLaplacianVariance' },
  { key: 'blurEffect', low: false, field: 'maxBlurEffect' },
  { key: 'noise', low: false, field: 'maxNoise' },
  { key: 'blockiness', low: false, field: 'maxBlockiness' },
  { key: 'pixelation', low: false, field: 'maxPixelation' },
];

/**
 * Thresholds fitted on the fitting half. Every rule starts at the most extreme clean photo
 * (of either decode), flagging none; then, while fewer than `budget` of the clean photos are
 * flagged, one rule takes a step inward (to its next clean value): the step that most raises
 * the detection of the worst-detected corruption (severity >= 3), or, when no step raises
 * that, the one that catches the most corrupted photos in all; until no step catches more.
 * The goal is per corruption, so the false-alarm budget goes to the corruption furthest from
 * it (motion blur, over-exposure), and a poor photo that happens to sit among the clean ones
 * does not loosen a rule for everyone.
 */
export function fitThresholds(fit: GateHalf, budget = 0.03): QualityThresholds {
  const clean = [...fit.suite, ...fit.served];
  const severe = CORRUPTIONS.map((c) => [3, 4, 5].flatMap((s) => fit.corrupted[c][s]!));
  const th = { ...DEFAULT_QUALITY_THRESHOLDS } as QualityThresholds;
  // each rule's distinct clean values from the extreme inward (a photo's two decodes can
  // measure the same), and its position in that list
  const steps = RULES.map((r) => {
    const v = [...new Set(clean.filter((m) => r.applies?.(m) ?? true).map((m) => m[r.key]))];
    return r.low ? v.sort((a, b) => a - b) : v.sort((a, b) => b - a);
  });
  const pos = RULES.map(() => 0);
  RULES.forEach((r, i) => (th[r.field] = steps[i]![0] ?? (r.low ? 0 : Infinity)));
  const flagged = (ms: QualityMeasures[], t: QualityThresholds) => ms.filter((m) => qualityIssues(m, t).length > 0).length;
  /** [the worst corruption's detection rate, corrupted photos caught in all] */
  const score = (t: QualityThresholds): [number, number] => {
    const caught = severe.map((ms) => flagged(ms, t));
    return [Math.min(...caught.map((c, i) => c / severe[i]!.length)), caught.reduce((a, b) => a + b, 0)];
  };
  for (;;) {
    if (flagged(clean, th) >= budget * clean.length) break;
    const [worst, total] = score(th);
    let best = -1;
    let bestGain: [number, number] = [0, 0];
    RULES.forEach((r, i) => {
      const next = steps[i]![pos[i]! + 1];
      if (next === undefined) return;
      const [w, t] = score({ ...th, [r.field]: next });
      const gain: [number, number] = [w - worst, t - total];
      if (gain[0] < 0 || (gain[0] === 0 && gain[1] <= 0)) return;
      if (gain[0] > bestGain[0] || (gain[0] === bestGain[0] && gain[1] > bestGain[1])) [best, bestGain] = [i, gain];
    });
    if (best < 0) break;
    pos[best]!++;
    th[RULES[best]!.field] = steps[best]![pos[best]!]!;
  }
  return th;
}

export interface GateRates {
  falseAlarms: number;
  servedFalseAlarms: number;
  falseAlarmsByIssue: Record<string, number>;
  perCorruption: Record<string, { issue: string; detectedAny: number; detectedIssue: number; bySeverity: number[] }>;
}

/** False alarms and detection on the evaluation half. */
export function gateRates(h: GateHalf, th: QualityThresholds): GateRates {
  const flagged = (ms: QualityMeasures[]) => ms.filter((m) => qualityIssues(m, th).length > 0).length / ms.length;
  const byIssue: Record<string, number> = {};
  const clean = [...h.suite, ...h.served];
  for (const m of clean) for (const i of qualityIssues(m, th)) byIssue[i] = (byIssue[i] ?? 0) + 1 / clean.length;
  const perCorruption: GateRates['perCorruption'] = {};
  for (const c of CORRUPTIONS) {
    const issue = CORRUPTION_ISSUE[c];
    const severe = [3, 4, 5].flatMap((s) => h.corrupted[c][s]!);
    perCorruption[c] = {
      issue,
      detectedAny: flagged(severe),
      detectedIssue: severe.filter((m) => qualityIssues(m, th).includes(issue)).length / severe.length,
      bySeverity: [1, 2, 3, 4, 5].map((s) => flagged(h.corrupted[c][s]!)),
    };
  }
  return { falseAlarms: flagged(h.suite), servedFalseAlarms: flagged(h.served), falseAlarmsByIssue: byIssue, perCorruption };
}

export async function gateStage(shared: string, cache: string, o: GateOptions) {
  const file = join(cache, `gate-v3-${o.clean}-${o.corrupted}.json`);
  let d: GateData;
  if (existsSync(file)) d = JSON.parse(readFileSync(file, 'utf8')) as GateData;
  else {
    d = await measureAll(shared, o);
    mkdirSync(cache, { recursive: true });
    writeFileSync(file, JSON.stringify(d));
  }
  const fitted = fitThresholds(d.fit);
  const pct = (v: number) => (100 * v).toFixed(1);
  const r = gateRates(d.evaluation, fitted);
  console.log('fitted thresholds', JSON.stringify(fitted));
  console.log(`gate (fitted): false alarms ${pct(r.falseAlarms)}% (served decode ${pct(r.servedFalseAlarms)}%) on ${d.evaluation.suite.length} clean photos`);
  for (const [c, v] of Object.entries(r.perCorruption))
    console.log(
      `  ${c}: severity >= 3 flagged ${pct(v.detectedAny)}%${v.issue ? `, as ${v.issue} ${pct(v.detectedIssue!)}%` : ''}; by severity ${v.bySeverity.map(pct).join(' / ')}`,
    );
  return {
    photos: { fit: d.fit.suite.length, evaluation: d.evaluation.suite.length, corruptedPerHalf: o.corrupted / 2 },
    rule: 'fitThresholds: from the most extreme clean fitting photo inward, greedily (worst-detected corruption first), while under 3 % of clean fitting photos are flagged',
    fitted,
    fittedRates: r,
    defaultRates: gateRates(d.evaluation, DEFAULT_QUALITY_THRESHOLDS),
  };
}
