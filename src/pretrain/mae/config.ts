/**
 * The MAE pretraining configuration: one schema for `pretrain()`'s argument, the config file and
 * `finegrain pretrain`'s flags (`--mask-ratio 0.75` is `maskRatio: 0.75`). Defaults are the MAE
 * paper's and its reference implementation's (main_pretrain.py, PRETRAIN.md) unless said:
 * mask ratio 0.75, normalised-pixel loss, AdamW with betas (0.9, 0.95) and weight decay 0.05,
 * base learning rate 1.5e-4 scaled by batch size / 256, cosine schedule to 0 after a linear
 * warm-up of 5 % of the epochs (the paper's 40 of 800), RandomResizedCrop (scale 0.2–1) and a
 * horizontal flip as the only augmentation.
 *
 * @example
 *   const config = parseMaeConfig({ data: 'photos/', model: 'vit_tiny_patch16_224', imageSize: 128, epochs: 100 });
 */
import { z } from 'zod';
import { UsageError } from '../../usage-error.js';
import { TIMM_VIT } from '../../models/vit/timm-vit.js';

export const MaeConfigSchema = z
  .object({
    data: z.string().min(1).describe('a folder of images, searched recursively (labelled layouts too: labels are ignored)'),
    out: z.string().default('runs/mae').describe('folder that run folders go into'),
    name: z.string().optional().describe("this run's folder name (default: mae-<timestamp>)"),
    model: z
      .string()
      .default('vit_tiny_patch16_224')
      .describe('the encoder, a timm-named ViT: vit_tiny_patch16_224, vit_small_patch16_224, vit_base_patch16_224 or vit_large_patch16_224'),
    imageSize: z.number().int().min(16).max(1024).default(224).describe('square input side in pixels (a multiple of the patch size)'),
    patchSize: z.number().int().min(2).max(64).optional().describe("patch side in pixels (default the model's, 16)"),
    maskRatio: z.number().min(0).lt(1).default(0.75).describe('share of each image’s patches removed before the encoder'),
    decoderDepth: z.number().int().min(1).max(32).optional().describe('decoder blocks (default 8, the paper’s)'),
    decoderDim: z
      .number()
      .int()
      .min(8)
      .max(2048)
      .optional()
      .describe('decoder width (default two thirds of the encoder’s, at most 512: the paper’s 512 for ViT-B)'),
    normPixLoss: z
      .boolean()
      .default(true)
      .describe('standardise each target patch by its own mean and variance (the paper’s better target; --no-norm-pix-loss for raw pixels)'),
    epochs: z.number().int().min(1).max(100000).default(100).describe('passes over the images (the paper: 800–1600 on ImageNet)'),
    batchSize: z.number().int().min(1).max(4096).default(64).describe('images per optimiser step'),
    blr: z.number().positive().default(1.5e-4).describe('base learning rate; the rate used is blr × batchSize / 256 (unless lr is given)'),
    lr: z.number().positive().optional().describe('absolute learning rate (overrides blr)'),
    minLr: z.number().min(0).default(0).describe('the rate the cosine ends at'),
    warmupEpochs: z.number().min(0).optional().describe('epochs of linear warm-up (default 5 % of epochs)'),
    weightDecay: z.number().min(0).default(0.05).describe('AdamW weight decay (none on biases and norms)'),
    minScale: z.number().gt(0).max(1).default(0.2).describe('RandomResizedCrop: the smallest crop, as a share of the image'),
    precision: z
      .enum(['auto', 'float32', 'bfloat16', 'float16'])
      .default('auto')
      .describe('auto: bfloat16 autocast where the CPU has fast bf16 (AMX, AVX512-BF16) or on CUDA'),
    device: z.string().default('auto').describe('auto (CUDA when present), cpu, cuda or cuda:N'),
    workers: z.number().int().min(1).max(64).default(4).describe('image decoding parallelism'),
    seed: z.number().int().min(0).default(0).describe('seed of the data order, the augmentations and the masks: a run repeats exactly'),
    reconstructions: z.number().int().min(0).max(16).default(4).describe('images in each epoch’s reconstruction picture (0: none)'),
  })
  // Unknown keys are refused (a misspelt option must not be ignored).
  .strict();

/** A validated MAE pretraining configuration (every default filled in). */
export type MaeConfig = z.infer<typeof MaeConfigSchema>;
/** What `pretrain()` accepts: `data` and any other keys of `MaeConfig`. */
export type MaeConfigInput = z.input<typeof MaeConfigSchema>;

/**
 * Validates `input`, with a message per bad key.
 *
 * @example
 *   parseMaeConfig({ data: 'photos/', maskRatio: 0.9 });
 */
export function parseMaeConfig(input: unknown): MaeConfig {
  const result = MaeConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new UsageError(`invalid MAE configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  const vit = TIMM_VIT[c.model];
  if (!vit) throw new UsageError(`MAE needs a timm-named ViT as its encoder (${Object.keys(TIMM_VIT).join(', ')}), got '${c.model}'`);
  const patch = c.patchSize ?? vit.patchSize;
  if (c.imageSize % patch) throw new UsageError(`imageSize ${c.imageSize} must be a multiple of the patch size ${patch}`);
  return c;
}

/**
 * The learning rate a run uses: `lr`, else blr × batchSize / 256 (the paper's scaling rule).
 *
 * @example
 *   effectiveLr(parseMaeConfig({ data: 'x', batchSize: 128 }));   // 7.5e-5
 */
export function effectiveLr(c: MaeConfig): number {
  return c.lr ?? (c.blr * c.batchSize) / 256;
}

/**
 * Warm-up epochs: as given, else 5 % of the epochs (the paper's 40 of 800).
 *
 * @example
 *   warmupEpochsOf(parseMaeConfig({ data: 'x', epochs: 200 }));   // 10
 */
export function warmupEpochsOf(c: MaeConfig): number {
  return c.warmupEpochs ?? c.epochs * 0.05;
}
