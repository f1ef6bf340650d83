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
import { parseDuration } from './plan/duration.js';

export const TrainConfigSchema = z
  .object({
    data: z.string().min(1).describe('training data: a folder per class, a CSV (path,label or Kaggle image,cultivar), or a CUB-style folder'),
    valData: z.string().optional().describe('validation data (same layouts); otherwise valFraction of the training data, split per class'),
    valFraction: z.number().min(0).max(0.9).default(0.1).describe('fraction of each class held out for validation when no valData is given'),
    unlabeledData: z.string().optional().describe('a folder of unlabelled images for pseudo-label rounds'),
    out: z.string().default('runs').describe('folder that run folders go into'),
    name: z.string().optional().describe("this run's folder name (default: run-<timestamp>)"),

    model: z
      .string()
      .default('resnet18')
      .describe(
        "architecture, a registry name (finegrain models lists them), e.g. resnet50, regnet_y_16gf, vit_tiny_patch16_224; with an MAE encoder as pretrained, the encoder's",
      ),
    pretrained: z
      .string()
      .optional()
      .describe(
        'pretrained weights: an MAE run folder (runs/mae/<name>, or its encoder.safetensors: the model, image and patch size come from it, and the MAE fine-tuning recipe fills what flags leave out), a file (safetensors; a finegrain run checkpoint — its network, and its classifier rows for the classes both runs share, by name; or a PyTorch .pth/.bin/.ckpt, FILE#ENTRY for a nested one), a name (torchvision:resnet50[.IMAGENET1K_V2], hf-hub:timm/<repo>, an https URL; downloaded once into the shared cache), or imagenet for the ImageNet MobileNetV2 import',
      ),
    attention: z
      .enum(['se', 'ge', 'cbam', 'sk'])
      .optional()
      .describe('attention module inside ResNet-family blocks (squeeze-excite, gather-excite, CBAM, selective kernel)'),
    dropRate: z.number().min(0).max(1).default(0.2).describe('dropout before the classifier'),
    globalPool: z
      .enum(['token', 'avg'])
      .optional()
      .describe(
        "timm-named ViTs: what the classifier sees — token (the class token after the final norm) or avg (the mean of the patch tokens through a fresh fc_norm, MAE's fine-tuning; the MAE recipe's choice)",
      ),
    dropPath: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .describe("timm-named ViTs: stochastic depth, the last block's drop-path rate, rising linearly from 0 at the first (MAE fine-tunes with 0.1)"),
    patchSize: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("timm-named ViTs: the patch side in pixels (default the model's, or the MAE encoder's; an encoder's patch size cannot change)"),
    layerDecay: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        'ViTs: layer-wise learning-rate decay (MAE/BEiT): block i learns at lr x decay^(depth - i), the embeddings at lr x decay^(depth + 1), the head and final norm at lr; no weight decay on 1-D parameters, the class token and the position embedding (MAE fine-tunes with 0.75)',
      ),
    freezeUntil: z.string().min(1).optional().describe('freeze every parameter before this module (e.g. features.4 for mobilenet_v2, layer2 for ResNets)'),
    syncBatchNorm: z
      .boolean()
      .default(false)
      .describe("data-parallel runs: BatchNorm statistics over the global batch (every rank's images) instead of each rank's share"),
    gradientCompression: z
      .enum(['none', 'fp16'])
      .default('none')
      .describe(
        'data-parallel runs: fp16 all-reduces gradients cast to float16 (half the bytes, for slow networks between nodes); none all-reduces float32 exactly',
      ),

    imageSize: z.number().int().min(16).max(4096).default(224).describe('training and evaluation input side in pixels'),
    mean: z
      .tuple([z.number(), z.number(), z.number()])
      .optional()
      .describe("input normalisation mean per RGB channel in [0,1] units, e.g. 0.5,0.5,0.5 (default: the model's own, ImageNet's for most)"),
    std: z
      .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
      .optional()
      .describe("input normalisation std per RGB channel, e.g. 0.5,0.5,0.5 (default: the model's own)"),
    finalImageSize: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .optional()
      .describe("progressive resolution: the last finalEpochs epochs run at this size (the seed's 512 -> 960 step)"),
    finalEpochs: z.number().int().min(0).default(0).describe('how many final epochs run at finalImageSize'),
    epochs: z.number().int().min(1).default(10).describe('training epochs (per pseudo-label round)'),
    batchSize: z.number().int().min(1).default(32).describe('images per batch'),
    accumulate: z.number().int().min(1).default(1).describe('gradient accumulation: an optimiser step every N batches'),

    optimizer: z.enum(['sgd', 'adamw']).default('sgd').describe('optimiser (no weight decay on norms and biases)'),
    lr: z.number().positive().default(0.01).describe('peak learning rate (cosine schedule after warm-up)'),
    headLr: z.number().positive().optional().describe("the classifier's own peak learning rate (default: lr)"),
    headOnlyEpochs: z
      .number()
      .min(0)
      .default(0)
      .describe(
        "fine-tuning: for the first N epochs (fractions allowed) only the new classifier learns, then the body's rate ramps up over warmupEpochs — the head is fit before its gradients reach the pretrained features (LP-FT, Kumar et al. 2022)",
      ),
    momentum: z.number().min(0).max(1).default(0.9).describe('SGD momentum (Nesterov when > 0)'),
    weightDecay: z.number().min(0).default(1e-4).describe('weight decay (decoupled for adamw)'),
    warmupEpochs: z.number().min(0).default(1).describe('linear learning-rate warm-up, in epochs (fractions allowed)'),
    labelSmoothing: z.number().min(0).max(1).default(0.1).describe('label smoothing of the cross-entropy targets'),
    ema: z.number().min(0).max(0.99999).default(0).describe("decay of the weights' exponential moving average, evaluated and saved beside them; 0 = off"),
    precision: z
      .enum(['auto', 'float32', 'bfloat16', 'float16'])
      .default('auto')
      .describe('auto: bfloat16 autocast where the CPU (AMX/AVX512-BF16) or GPU runs it fast, else float32; float16 needs CUDA'),
    channelsLast: z.boolean().optional().describe('channels-last memory layout (default: with bfloat16 on CPU, and on CUDA)'),
    device: z.string().default('auto').describe('auto (CUDA when present), cpu, cuda or cuda:N'),
    threads: z.number().int().min(1).optional().describe('intra-op CPU threads (default: every core the process may use)'),
    workers: z.number().int().min(1).max(64).default(4).describe('image decoding parallelism'),
    augment: z
      .enum(['none', 'autoaugment', 'randaugment', 'trivialaugment'])
      .default('autoaugment')
      .describe('augmentation policy after the random crop and flip'),
    autoAugmentPolicy: z.enum(['imagenet', 'cifar10', 'svhn']).default('imagenet').describe('which AutoAugment policy'),
    mixup: z.number().min(0).default(0).describe('Mixup alpha (0 = off)'),
    cutmix: z.number().min(0).default(0).describe('CutMix alpha (0 = off)'),
    randomErasing: z.number().min(0).max(1).default(0).describe('probability of RandomErasing per image'),
    corruptionAugment: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('robustness: probability of one random ImageNet-C-style corruption (severity 1-5) per training image'),
    crop: z
      .enum(['random', 'attention', 'scda'])
      .default('random')
      .describe("training crops: RandomResizedCrop, the seed's attention-region random crop, or SCDA's largest component"),
    cropScale: z
      .number()
      .gt(0)
      .max(1)
      .default(0.08)
      .describe(
        "RandomResizedCrop's smallest crop, as a fraction of the image's area (torchvision's 0.08; raise it when the evidence is small and may be cropped away)",
      ),
    cropThreshold: z.number().min(0).max(1).default(0.5).describe('attention crop: threshold T that binarises the attention map'),
    cropCandidates: z.number().int().min(1).default(50).describe('attention crop: N random boxes tried per image'),
    cropSize: z.number().gt(0).max(1).default(0.6).describe('attention/SCDA crop: box side as a fraction of the image side'),
    cropEvery: z.number().int().min(1).default(1).describe('refresh the crop boxes every N epochs'),
    cropDump: z.number().int().min(0).default(8).describe('images whose chosen boxes are drawn into the run folder at each refresh (0 = none)'),
    balance: z
      .enum(['none', 'sampler', 'logit-adjust'])
      .default('none')
      .describe('long tail: class-balanced sampling, or logit adjustment (Menon et al. 2021)'),
    logitAdjustTau: z.number().min(0).default(1).describe('logit adjustment strength tau'),
    pseudoRounds: z.number().int().min(0).default(0).describe('pseudo-label rounds over unlabeledData after the first training'),
    pseudoThreshold: z.number().min(0).max(1).default(0.9).describe('confidence an unlabelled image needs to become a pseudo label'),

    budget: z
      .union([z.number().positive(), z.string().min(1)])
      .optional()
      .describe(
        'wall-clock budget for the whole run (30m, 1h30m, 90s, or seconds): epochs and the resolution schedule are planned from measured speed to end inside it, and re-planned after every epoch',
      ),
    preset: z
      .enum(['fast', 'balanced', 'best'])
      .optional()
      .describe(
        'how a run spends its budget: fast stays at the base resolution, balanced (the default) ends with a high-resolution phase, best first races candidate learning rates on the validation split (successive halving) and picks flip TTA on validation',
      ),
    seed: z.number().int().min(0).default(0).describe('random seed: data order, augmentations, crops, dropout and initial weights'),
    quiet: z.boolean().default(false).describe('no progress bars'),
    calibrate: z
      .boolean()
      .default(false)
      .describe(
        "after training, `finegrain train` calibrates the best checkpoint on the run's own split: the unknown verdict, and the head it answers with (trained or closed-form), chosen on validation; the fine-tuning recipe turns it on",
      ),
  })
  .strict();

/**
 * A validated training configuration, every default filled in: what `parseTrainConfig`
 * returns and a run folder's config.json holds. The fields are the config file's keys and,
 * in kebab case, `finegrain train`'s flags.
 *
 * @useDeclaredType
 */
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
/**
 * A training configuration as written (config file, flags, `train()`'s argument): only
 * `data` is required, the rest has defaults.
 *
 * @useDeclaredType
 */
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
  if (c.budget !== undefined) {
    try {
      parseDuration(c.budget);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
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
export function configFromFlags(argv: string[], schema: z.ZodObject = TrainConfigSchema): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.ZodTypeAny>;
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

/** zod's internal definition, as far as help and flag parsing read it. */
interface FieldDef {
  type?: string;
  innerType?: z.ZodTypeAny;
  defaultValue?: unknown;
  entries?: Record<string, string>;
}

function defOf(field: z.ZodTypeAny): FieldDef {
  return (field as unknown as { def: FieldDef }).def;
}

/** The field without its optional/default wrappers. */
function unwrap(field: z.ZodTypeAny): z.ZodTypeAny {
  let f = field;
  while (defOf(f).innerType) f = defOf(f).innerType!;
  return f;
}

function baseKind(field: z.ZodTypeAny): string {
  return defOf(unwrap(field)).type ?? 'string';
}

/** What a flag takes, for help: the allowed values of an enum, else the kind of value. */
function valueHelp(field: z.ZodTypeAny): string {
  const inner = defOf(unwrap(field));
  if (inner.type === 'enum' && inner.entries) return Object.values(inner.entries).join('|');
  if (inner.type === 'tuple') return 'R,G,B';
  if (inner.type === 'boolean') return '';
  return inner.type === 'number' ? 'N' : 'VALUE';
}

/** Default value of a field, if it has one. */
function defaultOf(field: z.ZodTypeAny): unknown {
  let f: z.ZodTypeAny | undefined = field;
  while (f) {
    const d = defOf(f);
    if (d.type === 'default') return typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    f = d.innerType;
  }
  return undefined;
}

/**
 * Every option for `--help`, generated from the schema: the flag, what it takes (the allowed
 * values of an enum), its one-line description and its default.
 */
export function configHelp(schema: z.ZodObject = TrainConfigSchema): string {
  const shape = schema.shape as Record<string, z.ZodTypeAny>;
  return Object.entries(shape)
    .map(([k, f]) => {
      const flag = '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      const value = valueHelp(f);
      const def = defaultOf(f);
      const head = `  ${flag}${value ? ' ' + value : ''}`;
      const text = `${f.description ?? ''}${def !== undefined ? ` (default ${typeof def === 'string' ? def : JSON.stringify(def)})` : ''}`;
      return head.length < 30 ? `${head.padEnd(30)}${text}` : `${head}\n${' '.repeat(30)}${text}`;
    })
    .join('\n');
}
