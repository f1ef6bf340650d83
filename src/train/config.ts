/**
 * The training configuration: one schema for the config file (JSON or YAML), the CLI flags
 * (`--image-size 448` is `imageSize: 448`) and the `train()` function argument, validated
 * with clear messages. Defaults follow the seed's competition recipe where it has one.
 *
 * @example
 *   const config = parseTrainConfig({ data: 'birds/', model: 'resnet50', epochs: 20 });
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../usage-error.js';

export const TrainConfigSchema = z
  .object({
    /** Training data: a folder per class, a CSV (`path,label` or Kaggle `image,cultivar`), or a CUB-style folder. */
    data: z.string().min(1),
    /** Explicit validation data; otherwise `valFraction` of the training data, split per class. */
    valData: z.string().optional(),
    valFraction: z.number().min(0).max(0.9).default(0.1),
    /** Unlabelled images for pseudo labels. */
    unlabeledData: z.string().optional(),
    /** Where run folders go, and this run's name (default: a timestamp). */
    out: z.string().default('runs'),
    name: z.string().optional(),

    model: z.string().default('resnet18'),
    /** Pretrained weights: a safetensors state dict, or `imagenet` for the ImageNet MobileNetV2 import (../shared/weights). */
    pretrained: z.string().optional(),
    attention: z.enum(['se', 'ge', 'cbam', 'sk']).optional(),
    dropRate: z.number().min(0).max(1).default(0.2),
    /**
     * Freezes every parameter registered before this module (e.g. `features.4` for
     * mobilenet_v2, `layer2` for ResNets): the pretrained early layers keep their weights and
     * their backward pass is skipped, which on a CPU is most of a small network's step time.
     */
    freezeUntil: z.string().min(1).optional(),

    imageSize: z.number().int().min(16).max(4096).default(224),
    /** Input normalisation (per-channel mean and std in [0, 1] units); default: the model's own (ImageNet's for most). Stored in every checkpoint. */
    mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
    /** Progressive resolution: the last `finalEpochs` epochs run at `finalImageSize` (the seed's 512 -> 960 step). */
    finalImageSize: z.number().int().min(16).max(4096).optional(),
    finalEpochs: z.number().int().min(0).default(0),
    epochs: z.number().int().min(1).default(10),
    batchSize: z.number().int().min(1).default(32),
    /** Gradient accumulation: optimiser step every `accumulate` batches. */
    accumulate: z.number().int().min(1).default(1),

    optimizer: z.enum(['sgd', 'adamw']).default('sgd'),
    lr: z.number().positive().default(0.01),
    /** Learning rate of the classifier (a new head usually wants more than the pretrained body); default `lr`. */
    headLr: z.number().positive().optional(),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-4),
    warmupEpochs: z.number().min(0).default(1),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    /** Decay of the weights' exponential moving average; 0 switches EMA off. */
    ema: z.number().min(0).max(0.99999).default(0),

    /** 'auto': bfloat16 autocast where the CPU/GPU has fast bf16, else float32. */
    precision: z.enum(['auto', 'float32', 'bfloat16', 'float16']).default('auto'),
    channelsLast: z.boolean().optional(),
    device: z.string().default('auto'),
    /** Intra-op CPU threads (default: every core the process may use). */
    threads: z.number().int().min(1).optional(),
    workers: z.number().int().min(1).max(64).default(4),

    /** Augmentation: flips + random crops always; then one of these policies. */
    augment: z.enum(['none', 'autoaugment', 'randaugment', 'trivialaugment']).default('autoaugment'),
    autoAugmentPolicy: z.enum(['imagenet', 'cifar10', 'svhn']).default('imagenet'),
    mixup: z.number().min(0).default(0),
    cutmix: z.number().min(0).default(0),
    randomErasing: z.number().min(0).max(1).default(0),
    /** Robustness: probability of one random corruption (src/open-world/corruptions/augment.ts) per training image. */
    corruptionAugment: z.number().min(0).max(1).default(0),

    /** Where training crops come from: RandomResizedCrop, the seed's attention-region crop, or SCDA. */
    crop: z.enum(['random', 'attention', 'scda']).default('random'),
    cropThreshold: z.number().min(0).max(1).default(0.5),
    cropCandidates: z.number().int().min(1).default(50),
    /** Crop box size as a fraction of the image side. */
    cropSize: z.number().gt(0).max(1).default(0.6),
    /** Refresh the crop boxes every N epochs. */
    cropEvery: z.number().int().min(1).default(1),
    /** Write the chosen boxes drawn on a few images each refresh. */
    cropDump: z.number().int().min(0).default(8),

    /** Long tail: class-balanced sampling, or logit adjustment (Menon et al. 2021) with tau. */
    balance: z.enum(['none', 'sampler', 'logit-adjust']).default('none'),
    logitAdjustTau: z.number().min(0).default(1),

    /** Pseudo-label rounds over `unlabeledData` after the first training. */
    pseudoRounds: z.number().int().min(0).default(0),
    pseudoThreshold: z.number().min(0).max(1).default(0.9),

    seed: z.number().int().min(0).default(0),
    quiet: z.boolean().default(false),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

export class ConfigError extends UsageError {}

/** Validates a config object; errors name each bad field. */
export function parseTrainConfig(input: unknown): TrainConfig {
  const result = TrainConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid training configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  if (c.finalEpochs >= c.epochs && c.finalImageSize) throw new ConfigError(`finalEpochs (${c.finalEpochs}) must be fewer than epochs (${c.epochs})`);
  if (c.finalEpochs > 0 && !c.finalImageSize) throw new ConfigError('finalEpochs needs finalImageSize');
  if (c.pseudoRounds > 0 && !c.unlabeledData) throw new ConfigError('pseudoRounds needs unlabeledData');
  return c;
}

/** Reads a JSON or YAML config file (by extension; YAML is a superset of JSON anyway). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${path}: expected a mapping of options at the top level`);
  return value as Record<string, unknown>;
}

/** `image-size` -> `imageSize`: CLI flags are the config keys in kebab case. */
export function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Parses `--key value` / `--flag` / `--no-flag` pairs into config keys, typed by the schema. */
export function configFromFlags(argv: string[]): Record<string, unknown> {
  const shape = TrainConfigSchema.shape as Record<string, z.ZodTypeAny>;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}'`);
    let key = camelCase(arg.slice(2));
    let negated = false;
    if (!(key in shape) && key.startsWith('no') && camelCase(arg.slice(5)) in shape) {
      key = camelCase(arg.slice(5));
      negated = true;
    }
    const field = shape[key];
    if (!field) throw new ConfigError(`unknown option --${arg.slice(2)}`);
    const kind = baseKind(field);
    if (kind === 'boolean') {
      out[key] = !negated;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new ConfigError(`--${arg.slice(2)} needs a value`);
    out[key] = kind === 'number' ? Number(value) : kind === 'tuple' ? value.split(',').map((v) => Number(v.trim())) : value;
  }
  return out;
}

function baseKind(field: z.ZodTypeAny): string {
  let f: any = field;
  while (f?.def?.innerType) f = f.def.innerType;
  return f?.def?.type ?? 'string';
}

/** The flags and their descriptions for `--help`, generated from the schema. */
export function configHelp(): string {
  const shape = TrainConfigSchema.shape as Record<string, z.ZodTypeAny>;
  return Object.entries(shape)
    .map(([k, f]) => {
      const flag = '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      const def = (f as any).def?.defaultValue;
      return `  ${flag.padEnd(24)} ${baseKind(f)}${def !== undefined ? ` (default ${JSON.stringify(typeof def === 'function' ? def() : def)})` : ''}`;
    })
    .join('\n');
}
