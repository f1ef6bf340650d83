/**
 * The schema of a checkpoint's metadata: every field a finegrain checkpoint carries is
 * checked when the file is opened, and a bad one is named (`classes: expected an array of
 * names`), so a hostile or damaged file fails at `loadCheckpoint` with one clear line
 * instead of deep inside prediction. Serving loads checkpoints users download: this is the
 * gate.
 *
 * Files written before the preprocessing config existed carry `imageSize`, `mean` and
 * `std` only; `preprocess` is then derived from them (whole-image resize, bilinear).
 *
 * @example
 *   const meta = parseCheckpointMeta(JSON.parse(text), 'best.safetensors');
 *   meta.preprocess.inputSize;
 */
import { z } from 'zod';
import type { PreprocessConfig } from '../preprocess-config.js';
import { UsageError } from '../../usage-error.js';

/** The format tag in every checkpoint's metadata; a file with another is refused. */
export const CHECKPOINT_FORMAT = 'finegrain-checkpoint/1';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const rgb = z.tuple([finite, finite, finite]);
const positiveRgb = z.tuple([finite.positive(), finite.positive(), finite.positive()]);
const side = z.number().int().min(16).max(4096);

const PreprocessSchema = z.object({
  inputSize: side,
  interpolation: z.literal('bilinear'),
  cropFraction: finite.min(0.05).max(1),
  mean: rgb,
  std: positiveRgb,
});

const ModelOptionsSchema = z.looseObject({
  numClasses: z.number().int().min(0).optional(),
  dropRate: finite.min(0).max(1).optional(),
  attention: z.enum(['se', 'ge', 'cbam', 'sk']).optional(),
  attentionOptions: z.record(z.string(), z.unknown()).optional(),
});

const MetaSchema = z
  .looseObject({
    format: z.literal(CHECKPOINT_FORMAT),
    /** Registry name of the architecture, e.g. 'resnet50' (checked against the registry when the model is built). */
    model: z.string().min(1).max(200),
    /** Options the model was created with (numClasses, dropRate, attention, ...). */
    modelOptions: ModelOptionsSchema,
    /** Class names in index order: predictions name classes, not indices. */
    classes: z.array(z.string().min(1).max(1000)).min(1).max(1_000_000),
    /** Input size the model was last trained at, and the normalisation it expects (legacy; see preprocess). */
    imageSize: side,
    mean: rgb,
    std: positiveRgb,
    preprocess: PreprocessSchema.optional(),
    /** Completed epochs and optimiser steps. */
    epoch: z.number().int().min(0),
    step: z.number().int().min(0),
  })
  .superRefine((m, ctx) => {
    const n = m.modelOptions.numClasses;
    if (n !== undefined && n !== m.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['modelOptions', 'numClasses'], message: `is ${n} but the checkpoint lists ${m.classes.length} classes` });
    }
    if (new Set(m.classes).size !== m.classes.length) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'names a class twice' });
  });

/** What a checkpoint says about itself; JSON-able. */
export interface CheckpointMeta {
  /** The format tag (`CHECKPOINT_FORMAT`); `saveCheckpoint` sets it. */
  format?: string;
  /** Registry name of the architecture, e.g. 'resnet50'. */
  model: string;
  /** Options the model was created with (numClasses, dropRate, attention, ...). */
  modelOptions: {
    /** Classifier outputs; when present it equals the number of classes. */
    numClasses?: number;
    /** Dropout before the classifier. */
    dropRate?: number;
    /** Attention inside residual blocks. */
    attention?: 'se' | 'ge' | 'cbam' | 'sk';
    /** Options of the attention modules. */
    attentionOptions?: Record<string, unknown>;
    [k: string]: unknown;
  };
  /** Class names in index order: predictions name classes, not indices. */
  classes: string[];
  /** Input size the model was last trained at, and its normalisation (kept for older readers; `preprocess` is the authority). */
  imageSize: number;
  /** Per-channel normalisation mean (R, G, B, on 0..1), kept for older readers. */
  mean: [number, number, number];
  /** Per-channel normalisation standard deviation (R, G, B, on 0..1), kept for older readers. */
  std: [number, number, number];
  /** How inputs are prepared for this model (always present after parsing). */
  preprocess: PreprocessConfig;
  /** Completed epochs and optimiser steps. */
  epoch: number;
  /** Completed optimiser steps. */
  step: number;
  [extra: string]: unknown;
}

/** A file that is not a usable finegrain checkpoint (not one at all, damaged metadata, tensors that do not fit the model); a UsageError, so the CLI prints its one line. */
export class CheckpointError extends UsageError {
  override name = 'CheckpointError';
}

/** The first problem zod found, as `field.path: message`. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'metadata';
  return `${where}: ${issue.message}`;
}

/** Validates checkpoint metadata (throws CheckpointError naming the bad field) and fills `preprocess`. */
export function parseCheckpointMeta(raw: unknown, source: string): CheckpointMeta {
  if (raw === null || typeof raw !== 'object') throw new CheckpointError(`${source}: metadata is not an object`);
  if ((raw as { format?: unknown }).format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${source}: not a finegrain checkpoint (expected metadata format ${CHECKPOINT_FORMAT})`);
  }
  const r = MetaSchema.safeParse(raw);
  if (!r.success) throw new CheckpointError(`${source}: invalid checkpoint metadata, ${describe(r.error)}`);
  const m = r.data;
  const preprocess: PreprocessConfig = m.preprocess ?? { inputSize: m.imageSize, interpolation: 'bilinear', cropFraction: 1, mean: m.mean, std: m.std };
  return { ...m, preprocess } as CheckpointMeta;
}
