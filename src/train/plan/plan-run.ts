/**
 * Planning a run before it starts: the recipe for what is known (recipe.ts) and, with a
 * budget, the epochs and resolutions that fit it (budget-plan.ts) from the measured speed
 * (speed-probe.ts). Returns the configuration to train with — the input with only the keys
 * it left out filled in — and the plan, which the run folder keeps as plan.json and the log
 * prints line by line.
 *
 * @example
 *   const { input, plan } = await planRun({ data: 'cars/', model: 'mobilenet_v2', pretrained: 'imagenet', budget: '30m' }, log);
 *   await train(input);  // what train() does itself
 */
import { parseTrainConfig, type TrainConfigInput } from '../config.js';
import { openTrainingData } from '../datasets.js';
import { epochSecondsAt, planBudget, type BudgetPlan } from './budget-plan.js';
import { RACE_FACTORS, type RaceResult } from './race.js';
import { describeTrainingData, type DataFacts } from './data-facts.js';
import { formatDuration, parseDuration } from './duration.js';
import { baseSizeFor, finalSizeFor, fixedInputSide, recommendRecipe, type MaeStart, type Preset } from './recipe.js';
import { describeMaeWeights } from '../../models/vit/mae-encoder.js';
import { isWeightsSpec } from '../../hub/index.js';
import { probeStepSeconds } from './speed-probe.js';

/** What plan.json holds. */
/** A calibration's forward pass per photo, as a share of a training step's (no backward, no augmentation). */
export const CALIBRATE_COST = 0.4;

export interface RunPlan {
  preset: Preset;
  facts: DataFacts;
  /** The keys the recipe and the budget filled, with their values. */
  filled: Record<string, unknown>;
  /** Why each filled value is what it is. */
  reasons: string[];
  /** Budget runs: the cost model and the plan. */
  budget?: {
    seconds: number;
    reserveSeconds: number;
    /** Probe: [size, seconds per training image]. */
    secondsPerImage: [number, number][];
    images: number;
    valImages: number;
    maxEpochs: number;
    maxFinalEpochs: number;
    /** The final phase's share of the training time. */
    finalShare: number;
    projectedSeconds: number;
    /** Seconds used before training started (listing, the probe; the race once it has run). */
    plannedAt: number;
    /** `best`: the learning-rate race's epochs per finishing candidate, and its estimated cost. */
    race?: { epochs: number; estimatedSeconds: number };
  };
  /** `best`: what the race tried and chose (race.ts). */
  race?: RaceResult;
  /** `best`: flip TTA against plain inference on the validation split, and the choice. */
  tta?: { flips: boolean; plain: number; flipped: number };
  /** Changes made while training, one per re-plan. */
  replans: { afterEpoch: number; epochs: number; finalEpochs: number; reason: string }[];
}

/** Epoch caps of a budget run: beyond them fine-tuning on a few thousand photos stops gaining. */
const MAX_EPOCHS = { fast: 30, balanced: 40, best: 40 } as const;
const MAX_FINAL_EPOCHS = 12;
/**
 * The final high-resolution phase's share of the training time: short, because the step up
 * is a gamble on photos that are not much larger than the base (see recipe.ts finalSizeFor);
 * the run keeps the best checkpoint by validation, so a step that does not pay costs a quarter
 * of the budget, not the model.
 */
const FINAL_SHARE = 0.25;

/** Share of a `best` budget the learning-rate race may take. */
export const RACE_SHARE = 0.15;
/**
 * Seconds each race run spends outside its epochs (listing, building and recalibrating the
 * model, the first checkpoint): ~3 s on the fixtures on two busy cores, ~5 s for MobileNetV2.
 */
const RACE_RUN_SETUP = 4;

/**
 * The race's length: each candidate's first epoch plus the finalists' rest at the base size,
 * within RACE_SHARE of the budget (1 to 3 epochs), or null when not even the first round fits.
 */
function raceEpochsFor(budgetSeconds: number, baseEpochSeconds: number): { epochs: number; estimatedSeconds: number } | null {
  const finalists = Math.ceil(RACE_FACTORS.length / 2);
  // Every candidate's first round, and each finalist's resumed run, pays the set-up again.
  const perEpoch = baseEpochSeconds;
  const allowance = RACE_SHARE * budgetSeconds - (RACE_FACTORS.length + finalists) * RACE_RUN_SETUP;
  const affordable = allowance / perEpoch;
  if (affordable < RACE_FACTORS.length) return null;
  const epochs = Math.max(1, Math.min(3, 1 + Math.floor((affordable - RACE_FACTORS.length) / finalists)));
  const runs = RACE_FACTORS.length + (epochs > 1 ? finalists : 0);
  return { epochs, estimatedSeconds: (RACE_FACTORS.length + finalists * (epochs - 1)) * perEpoch + runs * RACE_RUN_SETUP };
}

/**
 * The MAE encoder `pretrained` names, if it is one (a finegrain MAE run folder or encoder, or a
 * release checkpoint such as mae_pretrain_vit_base.pth); names are not downloaded to decide.
 */
function maeStart(pretrained: string | undefined, log: (line: string) => void): MaeStart | null {
  if (!pretrained || pretrained === 'imagenet' || isWeightsSpec(pretrained)) return null;
  const mae = describeMaeWeights(pretrained);
  if (!mae) return null;
  if (mae.kind === 'finegrain') {
    const i = mae.info;
    log(
      `pretrained: MAE encoder ${mae.file} (${i.model}, ${i.imageSize} px, patch ${i.patchSize}, mask ratio ${i.maskRatio}, ${i.epochs} epochs): the MAE fine-tuning recipe`,
    );
    return { model: i.model, imageSize: i.imageSize };
  }
  log(
    `pretrained: ${mae.file} is an MAE encoder checkpoint (timm keys, no classifier${mae.decoder ? ', its decoder skipped' : ''}): the MAE fine-tuning recipe`,
  );
  return { ...(mae.model ? { model: mae.model } : {}), imageSize: mae.imageSize };
}

/**
 * Fills what `input` leaves out. `started`: when the run's clock started (performance.now()),
 * so listing and probing count against the budget.
 */
export async function planRun(
  input: TrainConfigInput,
  log: (line: string) => void,
  started = performance.now(),
): Promise<{ input: TrainConfigInput; plan: RunPlan }> {
  const preset: Preset = input.preset ?? 'balanced';
  const draft = parseTrainConfig(input);
  const data = openTrainingData(draft);
  const facts = await describeTrainingData(data.train, draft.seed);
  const budgeted = draft.budget !== undefined;
  const mae = maeStart(input.pretrained, log);
  const recipe = recommendRecipe(input, facts, { budgeted, preset, mae });
  const filled: Record<string, unknown> = { ...recipe.values };
  const reasons = [...recipe.reasons];
  const plan: RunPlan = { preset, facts, filled, reasons, replans: [] };
  if (budgeted) {
    const seconds = parseDuration(draft.budget!);
    const base = input.imageSize ?? recipe.values.imageSize ?? baseSizeFor(facts);
    // A ViT's position embedding fixes its side: no final phase to plan.
    const model = input.model ?? recipe.values.model;
    const finalWanted = input.finalImageSize ?? (fixedInputSide(model) ? base : finalSizeFor(facts, base, preset));
    const withRecipe = parseTrainConfig({ ...input, ...recipe.values });
    log(`budget ${formatDuration(seconds)}: measuring training speed at ${[...new Set([base, finalWanted])].join(' and ')} px`);
    const probe = await probeStepSeconds(withRecipe, [base, finalWanted], data.classes.length);
    // Kept back for checkpoint writes and timing noise, and for the calibration that follows the
    // run (one forward pass over the training and validation photos: ~CALIBRATE_COST of a
    // training step per photo, at the largest size).
    const calibrates = (input.calibrate ?? recipe.values.calibrate) === true;
    const calibrateSeconds = calibrates ? CALIBRATE_COST * (data.train.samples.length + data.val.samples.length) * Math.max(...probe.values()) : 0;
    const reserveSeconds = Math.min(60, 0.5 + 0.02 * seconds) + calibrateSeconds;
    if (calibrates) reasons.push(`budget: ${Math.round(calibrateSeconds)} s kept for the calibration after training`);
    const baseEpoch = epochSecondsAt({ images: data.train.samples.length, valImages: data.val.samples.length, secondsPerImage: probe }, base);
    const race = preset === 'best' && input.lr === undefined ? raceEpochsFor(seconds, baseEpoch) : null;
    if (preset === 'best')
      reasons.push(
        race
          ? `race: ${RACE_FACTORS.length} learning rates, ${race.epochs} epoch(s) at ${base} px for the finalists, ~${Math.round(race.estimatedSeconds)} s`
          : input.lr !== undefined
            ? 'race: none, --lr is given'
            : 'race: none, the budget is too small for one',
      );
    // The race's time comes off the budget before the epochs are planned.
    const usedSeconds = (performance.now() - started) / 1000 + (race?.estimatedSeconds ?? 0);
    const finalShare = preset === 'fast' ? 0 : FINAL_SHARE;
    const caps = { maxEpochs: MAX_EPOCHS[preset], maxFinalEpochs: MAX_FINAL_EPOCHS };
    const planned: BudgetPlan = planBudget({
      budgetSeconds: seconds,
      usedSeconds,
      reserveSeconds,
      images: data.train.samples.length,
      valImages: data.val.samples.length,
      baseSize: base,
      finalSize: finalWanted,
      secondsPerImage: probe,
      finalShare,
      ...caps,
    });
    const explicit = (key: keyof TrainConfigInput) => input[key] !== undefined;
    const put = (key: 'epochs' | 'imageSize' | 'finalImageSize' | 'finalEpochs', value: number) => {
      if (!explicit(key)) filled[key] = value;
    };
    put('imageSize', planned.imageSize);
    put('epochs', planned.epochs);
    if (planned.finalEpochs > 0) {
      put('finalImageSize', planned.finalImageSize);
      put('finalEpochs', planned.finalEpochs);
    }
    reasons.push(...planned.reasons.map((r) => `budget: ${r}`));
    plan.budget = {
      seconds,
      reserveSeconds,
      secondsPerImage: [...probe.entries()],
      images: data.train.samples.length,
      valImages: data.val.samples.length,
      ...caps,
      finalShare,
      projectedSeconds: planned.projectedSeconds,
      plannedAt: usedSeconds,
      ...(race ? { race } : {}),
    };
  }
  for (const line of reasons) log(`plan: ${line}`);
  return { input: { ...input, ...filled }, plan };
}
