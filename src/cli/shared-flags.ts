/**
 * The options `eval`, `predict` and `serve` share (checkpoints, ensemble weights, TTA,
 * ensemble mode, batch size, device, precision, EMA): their parseArgs definitions, help text
 * and parsing, the model they name (`frontDoor`), and the translation of input errors
 * into usage errors that the commands print as one line.
 *
 * @example
 *   const { values, tokens } = parseArgs({ args: argv, options: { ...MODEL_OPTIONS, data: { type: 'string' } }, tokens: true });
 *   const model = await frontDoor(modelFlags(values, tokens));
 */
import type { PredictOptions } from '../evaluation/predict-dataset.js';
import type { TtaOptions } from '../evaluation/tta.js';
import type { CheckpointSpec } from '../infer/predict-files.js';
import type { LibtorchModel } from '../pipeline/libtorch-model.js';
import type { Precision } from '../runtime/device-choice.js';
import type { Device } from '../tensor/device.js';
import { UsageError } from '../usage-error.js';

/** An input error as a UsageError, which the CLI prints as one line without a stack. */
export function usageError(message: string): Error {
  return new UsageError(message);
}

/** The model options (parseArgs definitions). */
export const MODEL_OPTIONS = {
  checkpoint: { type: 'string', multiple: true },
  'ensemble-weight': { type: 'string', multiple: true },
  tta: { type: 'string' },
  ensemble: { type: 'string' },
  'batch-size': { type: 'string' },
  workers: { type: 'string' },
  device: { type: 'string' },
  precision: { type: 'string' },
  'no-ema': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const MODEL_HELP = `model options:
  --checkpoint FILE   a finegrain checkpoint (.safetensors); repeat for an ensemble
  --ensemble-weight W the ensemble weight of the checkpoint named just before it (default 1)
  --ensemble MODE     probabilities (weighted mean of softmax outputs, default) or
                      embeddings (weighted embeddings concatenated; logits combined)
  --tta SPEC          test-time augmentation: flips, scales=1,1.15, or both:
                      flips,scales=1,1.15 (probabilities averaged over the views)
  --batch-size N      images per forward pass (default 32)
  --workers N         decoding parallelism hint (default 4)
  --device DEV        cpu, cuda, cuda:N or auto (default auto)
  --precision P       auto (default, as train and serve: bfloat16 where the CPU or GPU runs it fast), float32, bfloat16, float16 (CUDA)
  --no-ema            use the trained weights even when the checkpoint holds EMA weights`;

/**
 * `--tta` as `TtaOptions`: comma-separated `flips` and `scales=a,b,...` (the numbers after
 * `scales=` continue its list), or `none`.
 *
 * @example
 *   parseTta('flips,scales=1,1.15'); // { flips: true, scales: [1, 1.15] }
 */
export function parseTta(spec: string | undefined): TtaOptions | undefined {
  if (spec === undefined || spec.trim() === '' || spec.trim() === 'none') return undefined;
  const out: TtaOptions = {};
  let inScales = false;
  const scale = (s: string) => {
    const v = Number(s);
    if (!(Number.isFinite(v) && v > 0 && v <= 4)) throw usageError(`--tta: a scale must be a number in (0, 4], got '${s}'`);
    out.scales!.push(v);
  };
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === 'flips' || part === 'flip') {
      out.flips = true;
      inScales = false;
    } else if (part.startsWith('scales=') || part.startsWith('scale=')) {
      out.scales = [];
      inScales = true;
      scale(part.slice(part.indexOf('=') + 1));
    } else if (inScales && part !== '') {
      scale(part);
    } else {
      throw usageError(`--tta: unknown part '${part}' (expected flips and/or scales=1,1.15)`);
    }
  }
  return out;
}

/**
 * A number flag checked by `ok`, or undefined when absent; otherwise a usage error saying what
 * it must be (`--pass-rate must be a number in (0, 1), got '2'`).
 */
export function numberFlag(v: string | undefined, flag: string, ok: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!ok(n)) throw usageError(`${flag} must be ${what}, got '${v}'`);
  return n;
}

export function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a positive integer, got '${v}'`);
  return n;
}

export interface ModelFlags {
  checkpoints: CheckpointSpec[];
  device: Device;
  ema: 'auto' | 'trained';
  predict: PredictOptions;
}

/** The model options as given, device and precision not yet resolved against this machine. */
export interface ModelRequest {
  checkpoints: CheckpointSpec[];
  /** As given (default 'auto'); checked where it is resolved. */
  device: string;
  precision: Precision | 'auto';
  ensemble: 'probabilities' | 'embeddings';
  tta: TtaOptions | undefined;
  ema: 'auto' | 'trained';
  batchSize: number;
  workers: number | undefined;
}

/**
 * `--precision` checked: float32, bfloat16, float16 or auto (the default when not given).
 *
 * @example
 *   precisionFlag(values.precision); // 'auto'
 */
export function precisionFlag(value: string | undefined): Precision | 'auto' {
  const precision = value ?? 'auto';
  if (!['float32', 'bfloat16', 'float16', 'auto'].includes(precision))
    throw usageError(`--precision must be float32, bfloat16, float16 or auto, got '${precision}'`);
  return precision as Precision | 'auto';
}

export type Token = { kind: string; name?: string; value?: string | undefined };

/**
 * The model options from parsed arguments, without touching libtorch (so `serve`'s main thread
 * can parse them and leave the loading to its inference thread). An `--ensemble-weight`
 * belongs to the `--checkpoint` before it, so `--checkpoint a --checkpoint b
 * --ensemble-weight 0.6` weighs b (a keeps 1).
 */
export function modelRequest(values: Record<string, unknown>, tokens: readonly Token[]): ModelRequest {
  const checkpoints: CheckpointSpec[] = [];
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (t.name === 'checkpoint') checkpoints.push({ path: t.value! });
    else if (t.name === 'ensemble-weight') {
      const last = checkpoints[checkpoints.length - 1];
      if (!last) throw usageError('--ensemble-weight must follow the --checkpoint it weighs');
      if (last.weight !== undefined) throw usageError(`two ensemble weights for ${last.path}`);
      const w = Number(t.value);
      if (!(Number.isFinite(w) && w > 0)) throw usageError(`--ensemble-weight must be a positive number, got '${t.value}'`);
      last.weight = w;
    }
  }
  if (!checkpoints.length) throw usageError('--checkpoint FILE is required (repeat it for an ensemble)');
  const ensemble = (values.ensemble as string | undefined) ?? 'probabilities';
  if (ensemble !== 'probabilities' && ensemble !== 'embeddings') throw usageError(`--ensemble must be probabilities or embeddings, got '${ensemble}'`);
  const precision = precisionFlag(values.precision as string | undefined);
  return {
    checkpoints,
    device: (values.device as string | undefined) ?? 'auto',
    precision,
    ensemble,
    tta: parseTta(values.tta as string | undefined),
    ema: values['no-ema'] ? 'trained' : 'auto',
    batchSize: positiveInt(values['batch-size'] as string | undefined, '--batch-size') ?? 32,
    workers: positiveInt(values.workers as string | undefined, '--workers'),
  };
}

/** The model options resolved against this machine (device, precision), as eval and predict run them. */
export async function modelFlags(values: Record<string, unknown>, tokens: readonly Token[]): Promise<ModelFlags> {
  const r = modelRequest(values, tokens);
  const { resolveDevice, resolvePrecision } = await import('../runtime/device-choice.js');
  const device = resolveDevice(r.device);
  const precision = resolvePrecision(r.precision, device);
  return {
    checkpoints: r.checkpoints,
    device,
    ema: r.ema,
    predict: { device, precision, ensemble: r.ensemble, tta: r.tta, batchSize: r.batchSize, workers: r.workers },
  };
}

/**
 * The model behind the library's `classifier()`, loaded for the model options: `eval`,
 * `predict`, `serve` and the library all predict through it, so they agree on every image.
 */
export async function frontDoor(flags: ModelFlags): Promise<LibtorchModel> {
  const { device, precision, channelsLast, ensemble, tta } = flags.predict;
  const { loadLibtorchModel } = await import('../pipeline/libtorch-model.js');
  return loadLibtorchModel(
    flags.checkpoints.map((c) => c.path),
    { device, precision, channelsLast, ensemble, tta, ensembleWeights: flags.checkpoints.map((c) => c.weight ?? 1), ema: flags.ema },
  );
}
