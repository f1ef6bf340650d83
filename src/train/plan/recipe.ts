/**
 * The recipe a run gets when its flags do not say: what is known — pretrained weights or
 * not, how many images per class, the photos' own resolution, the time budget — decides the
 * optimiser, learning rates, warm-up, regularisation, crops, augmentation and resolutions.
 * Explicit settings always win: only keys the user left out are filled, and each filled key
 * comes with the reason, written to the run's plan.json and log.
 *
 * The values were chosen on the developers' data (cub100, cars33) with validation splits
 * only; the tables that chose them are in bench/RESULTS.md ("recipe").
 *
 * @example
 *   const { values, reasons } = recommendRecipe({ pretrained: 'imagenet' }, facts, { budgeted: true });
 *   // values.optimizer === 'adamw', values.finalImageSize === 448 for cars33's photos
 */
import type { TrainConfigInput } from '../config.js';
import type { DataFacts } from './data-facts.js';
import { modelInfo } from '../../models/registry.js';

/** How a run spends its budget: no high-resolution phase and no search, the plan, or the plan with a search. */
export type Preset = 'fast' | 'balanced' | 'best';

/** The keys the recipe may fill. */
export type RecipeKey =
  | 'model'
  | 'layerDecay'
  | 'dropPath'
  | 'globalPool'
  | 'calibrate'
  | 'optimizer'
  | 'lr'
  | 'headLr'
  | 'weightDecay'
  | 'warmupEpochs'
  | 'labelSmoothing'
  | 'augment'
  | 'cropScale'
  | 'dropRate'
  | 'imageSize'
  | 'finalImageSize'
  | 'finalEpochs'
  | 'epochs';

export interface Recipe {
  /** The filled keys (only those the input left out). */
  values: Partial<Pick<TrainConfigInput, RecipeKey>>;
  /** One line per filled key: the value and why. */
  reasons: string[];
}

/** Fine-tuning a pretrained network (AdamW): the body's peak rate at batch 32; see bench/RESULTS.md "recipe". */
export const FINETUNE_LR = 3e-4;
/** The new classifier learns from zero: ten times the body's rate. */
export const HEAD_LR_FACTOR = 10;
/** MAE's base learning rate (`main_finetune.py --blr`): the peak rate is blr × batch / 256. */
export const MAE_BASE_LR = 1e-3;

/** What the recipe knows of an MAE encoder given as the pretrained weights (models/vit/mae-encoder.ts). */
export interface MaeStart {
  /** The encoder's architecture, when known (finegrain's metadata, or the shapes of a release checkpoint). */
  model?: string;
  /** The input side it was pretrained at. */
  imageSize: number;
}

/** The resolution the ImageNet backbones were trained at: the smallest base of the schedule. */
export const BASE_SIZE = 224;

/** Multiple of 32 nearest to x (every zoo network downsamples by 32). */
function round32(x: number): number {
  return Math.max(32, Math.round(x / 32) * 32);
}

/**
 * The base size: the photos' own resolution (the median side, to a multiple of 32) between
 * 224 and 448 px — cars33's 319-px photos train at 320 (67.0 % test top-1 against 63.7 % for
 * 224 px with a 448-px end, bench/RESULTS.md "recipe"), cub100's 227-px ones at 224.
 */
export function baseSizeFor(facts: Pick<DataFacts, 'medianSide'>): number {
  if (!Number.isFinite(facts.medianSide)) return BASE_SIZE;
  return Math.min(2 * BASE_SIZE, Math.max(BASE_SIZE, round32(facts.medianSide)));
}

/**
 * The final phase's side, for a base below the photos' own resolution: 1.4 × their median
 * side, at most 1.43 × the base (224 → 320). A last step of that size gained on cub100 (224 →
 * 320: +2.1 validation points, bench/RESULTS.md 2026-11-26), while doubling (224 → 448 on
 * cars33) lost 8 validation points that three low-rate epochs did not win back. A base at the
 * photos' resolution (cars33's 320) has nothing finer to show: no final phase.
 */
export function finalSizeFor(facts: Pick<DataFacts, 'medianSide'>, base: number, preset: Preset): number {
  if (preset === 'fast' || !Number.isFinite(facts.medianSide) || base >= facts.medianSide) return base;
  return Math.max(base, Math.min(round32(1.43 * base), round32(1.4 * facts.medianSide)));
}

/**
 * Fills the recipe keys `input` leaves out. `budgeted`: the epochs and sizes come from the
 * budget planner (budget-plan.ts), so they are not filled here.
 */
/** Whether a registry name is a ViT, whose position embedding fixes one input side (no final phase). */
export function fixedInputSide(model: string | undefined): boolean {
  try {
    return model !== undefined && modelInfo(model).family === 'vit';
  } catch {
    return false;
  }
}

export function recommendRecipe(input: TrainConfigInput, facts: DataFacts, options: { budgeted: boolean; preset?: Preset; mae?: MaeStart | null }): Recipe {
  const values: Partial<Pick<TrainConfigInput, RecipeKey>> = {};
  const reasons: string[] = [];
  const set = <K extends RecipeKey>(key: K, value: NonNullable<TrainConfigInput[K]>, why: string) => {
    if (input[key] !== undefined) return;
    values[key] = value;
    reasons.push(`${key} ${Array.isArray(value) ? value.join(',') : String(value)}: ${why}`);
  };
  const preset = options.preset ?? 'balanced';
  const batch = input.batchSize ?? 32;
  // From scratch the schema's defaults stand (SGD with Nesterov momentum, AutoAugment: the
  // seed's long-schedule recipe); a budget run still gets its resolution schedule planned.
  if (!input.pretrained) return { values, reasons };
  if (options.mae) {
    maeRecipe(input, facts, options.mae, options.budgeted, set);
    return { values, reasons };
  }
  set(
    'calibrate',
    true,
    'after training, calibrate on validation: the unknown verdict, and the closed-form head when it beats the trained one (+2.4 points on cub100, +5.4 on cars33)',
  );
  // Fine-tuning: AdamW, the head faster than the body, decoupled weight decay.
  const lr = FINETUNE_LR * Math.sqrt(batch / 32);
  set('optimizer', 'adamw', 'pretrained weights: AdamW fine-tunes them faster and more stably than SGD at a short schedule');
  set('lr', Number(lr.toPrecision(3)), `the body's peak rate for fine-tuning (${FINETUNE_LR} at batch 32, × √(batch / 32))`);
  set('headLr', Number((lr * HEAD_LR_FACTOR).toPrecision(3)), `the new classifier starts from zero: ${HEAD_LR_FACTOR} × the body's rate`);
  set('weightDecay', 0.05, "decoupled weight decay at AdamW's usual fine-tuning strength");
  set('labelSmoothing', 0.1, 'look-alike classes: soft targets keep the network from over-confident near-duplicates');
  // Few images per class: the photo's evidence (a grille, a wing bar) must stay in the crop.
  set(
    'cropScale',
    facts.medianPerClass < 60 ? 0.25 : 0.15,
    `RandomResizedCrop keeps ≥ ${facts.medianPerClass < 60 ? 25 : 15} % of the photo with ${facts.medianPerClass} images per class`,
  );
  set('augment', 'none', 'a fine-tuning schedule is too short for AutoAugment to pay (it cost 4.8 points on cub100 at 6 epochs)');
  set('warmupEpochs', facts.images / batch < 20 ? 2 : 1, 'linear warm-up while the new head settles');
  const base = input.imageSize ?? baseSizeFor(facts);
  set('imageSize', base, `the photos' median side is ${Math.round(facts.medianSide)} px: train near it (224 to 448)`);
  if (!options.budgeted) {
    const final = fixedInputSide(input.model) ? base : finalSizeFor(facts, base, preset);
    set('epochs', 15, 'fine-tuning converges in ~15 epochs on a few thousand photos (pass --budget to plan by time)');
    if (final > base) {
      set('finalImageSize', final, `1.4 × the photos' median side (${Math.round(facts.medianSide)} px)`);
      set('finalEpochs', 4, 'a final high-resolution phase, as the seed recipe ends');
    }
  }
  return { values, reasons };
}

/**
 * The MAE fine-tuning recipe (He et al. 2022, `main_finetune.py`) scaled to a short CPU run:
 * AdamW (betas 0.9, 0.999), peak rate 1e-3 × batch / 256, weight decay 0.05, layer decay 0.75,
 * drop path 0.1, label smoothing 0.1, average pooling through a fresh fc_norm, warm-up then
 * cosine; no dropout before the head. Where it differs from the paper (each said in a reason):
 * no RandAugment, Mixup, CutMix or random erasing (the paper's 100-epoch ImageNet regularisers;
 * a ~15-epoch run on a few thousand photos underfits them, as AutoAugment showed), the epochs,
 * and the crop scale chosen for fine-grained photos.
 */
function maeRecipe(
  input: TrainConfigInput,
  facts: DataFacts,
  mae: MaeStart,
  budgeted: boolean,
  set: <K extends RecipeKey>(key: K, value: NonNullable<TrainConfigInput[K]>, why: string) => void,
): void {
  if (mae.model) set('model', mae.model, "the MAE encoder's architecture");
  const model = input.model ?? mae.model;
  const timm = model !== undefined && fixedInputSide(model) && modelInfo(model).source === 'timm';
  const batch = (input.batchSize ?? 32) * (input.accumulate ?? 1);
  set('calibrate', true, 'after training, calibrate on validation: the unknown verdict, and the closed-form head when it beats the trained one');
  set('optimizer', 'adamw', "MAE's fine-tuning: AdamW, betas (0.9, 0.999)");
  set('lr', Number(((MAE_BASE_LR * batch) / 256).toPrecision(3)), `MAE's rule: base rate ${MAE_BASE_LR} × batch ${batch} / 256; the head learns at it too`);
  set('weightDecay', 0.05, "MAE's fine-tuning weight decay");
  set('layerDecay', 0.75, "MAE's layer-wise rate decay: block i at 0.75^(depth − i) of the rate, the embeddings lowest");
  if (timm) {
    set('dropPath', 0.1, "MAE's stochastic depth for fine-tuning");
    set('globalPool', 'avg', "MAE fine-tunes on the mean of the patch tokens (a fresh fc_norm; the encoder's norm is dropped)");
  }
  set('labelSmoothing', 0.1, "MAE's label smoothing");
  set('dropRate', 0, 'no dropout before the head: MAE regularises with drop path instead');
  set(
    'augment',
    'none',
    "unlike the paper (RandAugment, Mixup 0.8, CutMix 1.0, random erasing 0.25 over 100 ImageNet epochs): a short fine-tuning run underfits them; pass --augment randaugment --mixup 0.8 --cutmix 1 --random-erasing 0.25 for the paper's",
  );
  set(
    'cropScale',
    facts.medianPerClass < 60 ? 0.25 : 0.15,
    `RandomResizedCrop keeps ≥ ${facts.medianPerClass < 60 ? 25 : 15} % of the photo with ${facts.medianPerClass} images per class (the paper: 8 %)`,
  );
  set('warmupEpochs', facts.images / (input.batchSize ?? 32) < 20 ? 2 : 1, 'linear warm-up, then cosine (the paper: 5 of 100 epochs)');
  set('imageSize', mae.imageSize, `the side the encoder was pretrained at (its position embedding's grid)`);
  if (!budgeted) set('epochs', 15, 'a short fine-tuning run (the paper: 100 epochs on ImageNet; pass --budget to plan by time)');
}
