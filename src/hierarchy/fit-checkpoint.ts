/**
 * `fitHierarchy()`: gives a trained checkpoint its class hierarchy — from a name pattern or a
 * mapping file — with the per-level thresholds fitted on validation images (the run's own
 * validation split when the checkpoint sits in its run folder), and stores both in the
 * checkpoint's `.hierarchy.json` sidecar. Probabilities are the calibrated ones when the
 * checkpoint has a calibration sidecar (`finegrain calibrate`), as `classifier()` answers with
 * them. With `test`, it also measures — never fits on — the test images: accuracy per level,
 * errors by level, and the coverage curve. `finegrain hierarchy` is this function behind flags.
 *
 * @example
 *   const r = await fitHierarchy('runs/cars/checkpoints/best.safetensors', { source: 'make-model-year', test: { data: 'cars33/test' } });
 *   r.thresholds;            // [0.52, 0.81, 0.97]
 *   r.test?.evaluation;      // accuracy per level
 */
import { existsSync } from 'node:fs';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import { loadCalibration } from '../open-world/calibration.js';
import { predictOutputs } from '../open-world/model-outputs.js';
import { answeringLogits } from '../open-world/choose-head.js';
import { resolveDevice, resolvePrecision } from '../runtime/device-choice.js';
import { softmax } from '../nn/functional/activation.js';
import { openLabeled } from '../train/datasets.js';
import { runTrainingData } from '../train/run-data.js';
import { UsageError } from '../usage-error.js';
import type { ClassHierarchy } from './class-hierarchy.js';
import { coverageCurve, type CoveragePoint } from './coverage.js';
import { hierarchicalEvaluation, type HierarchicalEvaluation } from './evaluation.js';
import { hierarchyFromNames, NAME_PATTERNS, type NamePattern } from './from-names.js';
import { probabilityRows } from './probability-rows.js';
import { readHierarchyFile } from './read-file.js';
import type { LevelThresholds } from './scores.js';
import { saveHierarchy } from './sidecar.js';
import { DEFAULT_MAX_ERROR, DEFAULT_WILSON_Z, fitLevelThresholds, type LevelThresholdFit } from './thresholds.js';

/** Options of `fitHierarchy`: where the hierarchy comes from, how sure answers must be, which images. */
export interface FitHierarchyOptions {
  /** A name pattern ('make-model-year') or a mapping file (.json, .csv). */
  source: string;
  /** Largest share of answers wrong at a level they claim (default 0.03). */
  maxError?: number;
  /** Wilson interval z for small validation sets (default 1.645; 0: the observed rate). */
  z?: number;
  /** Validation images (a folder or CSV); default the run's own validation split. Never test data. */
  data?: string;
  /** Test images to measure on after fitting (`split` for CUB-style folders, default 'test'). */
  test?: {
    /** A folder per class, a CSV or a CUB-style folder. */
    data: string;
    /** For CUB-style folders: which split (default 'test'). */
    split?: 'test' | 'train' | 'all';
  };
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Progress lines (the hierarchy's size, the thresholds and where they went); default: none. */
  onNote?: (line: string) => void;
}

/** What `fitHierarchy` stored and measured. */
export interface HierarchyFitSummary {
  /** The sidecar written beside the checkpoint. */
  path: string;
  /** The level names, top-down ('make', 'model', 'series'). */
  levels: readonly string[];
  /** One threshold per level (Infinity: that level is never confident). */
  thresholds: LevelThresholds;
  /** The fit per level: candidates, confident and wrong validation images. */
  fit: LevelThresholdFit;
  /** Validation images the thresholds were fitted on. */
  validationImages: number;
  /** With `test`: measured with the fitted thresholds. */
  test?: {
    /** Test images read. */
    images: number;
    /** Accuracy per level and errors by level. */
    evaluation: HierarchicalEvaluation;
    /** Share answered to each level and share wrong, per maxError (fitted on validation, measured on test). */
    curve: CoveragePoint[];
  };
}

/**
 * The hierarchy a source names for these classes: a name pattern or a mapping file.
 *
 * @example
 *   hierarchyFromSource('make-model-year', ['Audi S4 Sedan 2012', 'BMW M3 Coupe 2012']).levels; // ['make', 'model', 'series']
 */
export function hierarchyFromSource(source: string, classes: readonly string[]): ClassHierarchy {
  if ((NAME_PATTERNS as readonly string[]).includes(source)) return hierarchyFromNames(classes, source as NamePattern);
  if (existsSync(source)) return readHierarchyFile(source, classes);
  throw new UsageError(`hierarchy source '${source}': neither a name pattern (${NAME_PATTERNS.join(', ')}) nor a file`);
}

function validationSet(checkpoint: string, classes: readonly string[], data: string | undefined): ImageDataset {
  if (data) return openLabeled(data, { split: 'train', classes });
  const run = runTrainingData(checkpoint);
  if (!run) throw new UsageError(`validation data (--data VAL) is required: ${checkpoint} is not inside a run folder (no ../config.json)`);
  return { ...run.val, classes };
}

/**
 * Fits and stores the hierarchy of a checkpoint; see the file's comment.
 *
 * @example
 *   const r = await fitHierarchy('runs/cars/checkpoints/best.safetensors', { source: 'make-model-year' });
 *   r.thresholds; // per level
 */
export async function fitHierarchy(checkpoint: string, options: FitHierarchyOptions): Promise<HierarchyFitSummary> {
  if (!existsSync(checkpoint)) throw new UsageError(`checkpoint not found: ${checkpoint}`);
  const note = options.onNote ?? (() => {});
  const device = resolveDevice('auto');
  const loaded = loadModelFromCheckpoint(checkpoint, { device });
  const calibration = loadCalibration(checkpoint);
  try {
    const classes = loaded.meta.classes;
    const h = hierarchyFromSource(options.source, classes);
    note(
      `hierarchy ${h.levels.join(' → ')}: ${h.levels.map((l, i) => `${h.nodes[i]!.length} ${l}`).join(', ')}${calibration ? ' (calibrated probabilities)' : ''}`,
    );
    const rows = async (ds: ImageDataset) => {
      const out = await predictOutputs(loaded, ds, { device, precision: resolvePrecision('auto', device), batchSize: options.batchSize ?? 32 });
      try {
        // The logits the classifier answers with: the calibration may have chosen the closed-form head.
        const logits = calibration ? answeringLogits(calibration, out.logits, out.embeddings) : out.logits;
        const probs = calibration ? calibration.probabilities(logits) : softmax(logits, 1);
        if (logits !== out.logits) logits.dispose();
        try {
          return { probRows: probabilityRows(probs), labels: out.labels };
        } finally {
          probs.dispose();
        }
      } finally {
        out.dispose();
      }
    };
    const val = await rows(validationSet(checkpoint, classes, options.data));
    if (!val.labels.length) throw new UsageError('no validation image could be read');
    const fitOptions = { maxError: options.maxError ?? DEFAULT_MAX_ERROR, z: options.z ?? DEFAULT_WILSON_Z };
    const fit = fitLevelThresholds(h, val.probRows, val.labels, fitOptions);
    const path = saveHierarchy(checkpoint, h, { thresholds: fit.thresholds, fit: { ...fitOptions, images: val.labels.length } });
    note(`thresholds ${fit.thresholds.map((t) => (Number.isFinite(t) ? t.toFixed(3) : '∞')).join(' / ')} on ${val.labels.length} validation images → ${path}`);
    const summary: HierarchyFitSummary = { path, levels: h.levels, thresholds: fit.thresholds, fit, validationImages: val.labels.length };
    if (options.test) {
      const test = await rows(openLabeled(options.test.data, { split: options.test.split ?? 'test', classes }));
      summary.test = {
        images: test.labels.length,
        evaluation: hierarchicalEvaluation(h, test.probRows, test.labels),
        curve: coverageCurve(h, val.probRows, val.labels, { z: fitOptions.z, measureOn: test }),
      };
    }
    return summary;
  } finally {
    calibration?.dispose();
    loaded.model.dispose();
  }
}
