/**
 * `train(config)`: the competition recipe end to end — data, model, optimiser, schedule,
 * mixed precision, EMA, progressive resolution, attention-region crops, evaluation every
 * epoch, checkpoints, resume, pseudo-label rounds — writing everything into a run folder.
 *
 * A run killed at any moment (even `kill -9`) continues with `resume: runDir` from its last
 * checkpoint (written atomically at every epoch end) and ends exactly where the
 * uninterrupted run would: data order, augmentations, crop boxes and dropout masks are all
 * functions of (seed, epoch, step), and the checkpoint holds the model, optimiser, EMA, crop
 * boxes and metrics.
 *
 * The pieces: session.ts builds what the run works with, round.ts runs a round's epochs,
 * evaluate.ts validates, pseudo-round.ts pseudo-labels, run-state.ts is what a checkpoint
 * carries.
 *
 * @example
 *   const result = await train({ data: 'birds/', model: 'resnet50', pretrained: 'resnet50.safetensors', epochs: 20 });
 *   console.log(result.bestValAccuracy, result.runDir);
 */
import { existsSync } from 'node:fs';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { loadCheckpoint } from '../models/checkpoint/checkpoint.js';
import { resolveDevice } from '../runtime/device-choice.js';
import { cacheHostMemory } from '../runtime/settings.js';
import { UsageError } from '../usage-error.js';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { pseudoLabel } from './pseudo-round.js';
import { RunFolder } from './run-folder.js';
import { restoreRun, type RunState } from './run-state.js';
import { runRound } from './round.js';
import { closeSession, openSession, type TrainingSession } from './session.js';
import { joinDataParallel, shareRunDir, type DataParallel } from './data-parallel.js';
import { planRun, RACE_SHARE, type RunPlan } from './plan/plan-run.js';
import { BudgetClock } from './plan/budget-clock.js';
import { raceLearningRates } from './plan/race.js';
import { writeRaceReport } from './plan/race-report.js';
import { chooseTta } from './plan/choose-tta.js';

/** What `train` reports when the run ends (the run folder holds the details: metrics, checkpoints, logs). */
export interface TrainResult {
  /** The run folder: config.json, classes.json, metrics.jsonl, curves.png, checkpoints/ (last and best). */
  runDir: string;
  /** Best top-1 validation accuracy (0..1) over the epochs, the one `best.safetensors` was saved at. */
  bestValAccuracy: number;
  /** Top-1 validation accuracy (0..1) after the last epoch. */
  finalValAccuracy: number;
  /** Epochs trained in the last round. */
  epochs: number;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
  /** Validation accuracy after each pseudo-label round (round 0 = before pseudo labels). */
  pseudoRounds: {
    /** The round (0 is the training before any pseudo labels). */
    round: number;
    /** Pseudo-labelled images added to the training set for this round. */
    added: number;
    /** Top-1 validation accuracy (0..1) at the end of the round. */
    valAccuracy: number;
  }[];
  /** Files left out (listing and decoding), by reason; the list is in the run folder's skipped.json. */
  skipped: string;
  /** Budget runs: the budget and the seconds of it used (across resumes); plan.json has the plan. */
  budget?: {
    /** The budget, in seconds. */
    seconds: number;
    /** Seconds of it used, set-up and the runs before a resume included. */
    used: number;
  };
}

/** How `train` runs, beside the configuration: resuming, stopping early, where log lines go. */
export interface TrainOptions {
  /** Continue the run in this folder from its last checkpoint (its config.json is used). */
  resume?: string;
  /** Stop after this many epochs of this invocation (tests use it to simulate a kill). */
  stopAfterEpochs?: number;
  /** Receives each progress line (default: written to stderr). */
  log?: (line: string) => void;
}

/** A new run folder with its config, or the folder and config of the run to resume. */
function openRun(input: TrainConfigInput | TrainConfig, options: TrainOptions): { folder: RunFolder; config: TrainConfig } {
  if (options.resume) {
    if (!existsSync(`${options.resume}/config.json`)) throw new UsageError(`--resume ${options.resume}: no run there (config.json missing)`);
    const folder = new RunFolder(options.resume);
    return { folder, config: parseTrainConfig(folder.readJson('config.json')) };
  }
  const config = parseTrainConfig(input);
  const folder = RunFolder.create(config.out, config.name);
  folder.writeJson('config.json', config);
  return { folder, config };
}

/**
 * Data-parallel runs (data-parallel.ts): rank 0 opens the run folder, the others learn its
 * path from rank 0 and write nothing there.
 */
async function openParallelRun(
  input: TrainConfigInput | TrainConfig,
  options: TrainOptions,
): Promise<{ folder: RunFolder; config: TrainConfig; parallel: DataParallel | null }> {
  if (options.resume && !existsSync(`${options.resume}/config.json`)) throw new UsageError(`--resume ${options.resume}: no run there (config.json missing)`);
  // The backend follows the device: NCCL for CUDA, Gloo for CPU.
  const requested = options.resume && existsSync(`${options.resume}/config.json`) ? new RunFolder(options.resume).readJson('config.json') : input;
  const parallel = await joinDataParallel(resolveDevice(parseTrainConfig(requested).device));
  if (!parallel) return { ...openRun(input, options), parallel };
  try {
    const opened = parallel.primary ? openRun(input, options) : null;
    const dir = await shareRunDir(parallel, opened?.folder.dir ?? null);
    if (opened) return { ...opened, parallel };
    const folder = new RunFolder(dir);
    const config = options.resume ? parseTrainConfig(folder.readJson('config.json')) : parseTrainConfig(input);
    return { folder, config, parallel };
  } catch (e) {
    parallel.group.destroy();
    throw e;
  }
}

/** Whether a fresh run gets a plan: pretrained weights (the fine-tuning recipe), a budget or a preset. */
function wantsPlan(input: TrainConfigInput | TrainConfig): boolean {
  if (input.budget !== undefined && input.pseudoRounds)
    throw new UsageError('budget: pseudo-label rounds are not planned by the budget yet; train them without --budget or without --pseudo-rounds');
  if (input.budget !== undefined && Number(process.env.WORLD_SIZE ?? 1) > 1)
    throw new UsageError('budget: data-parallel runs are not planned by the budget yet (each worker would measure its own speed); give --epochs instead');
  return Boolean(input.pretrained) || input.budget !== undefined || input.preset !== undefined;
}

/**
 * The budget clock of a budget run, or null: its plan (a fresh run's, or a resumed run's
 * plan.json), the seconds used before this invocation (the resumed checkpoint's; 0 when fresh)
 * and this invocation counted from when train() was called.
 */
function budgetClock(s: TrainingSession, plan: RunPlan | null, started: number): BudgetClock | null {
  const p = plan ?? (existsSync(s.folder.path('plan.json')) ? (s.folder.readJson('plan.json') as RunPlan) : null);
  if (!p?.budget) return null;
  return new BudgetClock(p as RunPlan & { budget: NonNullable<RunPlan['budget']> }, s.state.seconds ?? 0, started);
}

/**
 * The `best` preset's learning-rate race (plan/race.ts), run before the session opens: the
 * winner's rates go into the run's config, the race's table and plot into the run folder,
 * and the time it took into the budget's set-up seconds.
 */
async function runRace(config: TrainConfig, folder: RunFolder, plan: RunPlan, log: (l: string) => void, started: number): Promise<TrainConfig> {
  const race = await raceLearningRates(config, folder.dir, plan.budget!.race!.epochs, log, train, RACE_SHARE * plan.budget!.seconds);
  plan.race = race;
  plan.budget!.plannedAt = (performance.now() - started) / 1000;
  const chosen = { ...config, lr: race.lr, headLr: race.headLr };
  folder.writeJson('config.json', chosen);
  folder.writeJson('plan.json', plan);
  await writeRaceReport(folder, race);
  log(`race: lr ${race.lr.toPrecision(3)} wins (${race.seconds.toFixed(0)} s; race.md, race.png)`);
  return chosen;
}

/** The `best` preset's flip-TTA check on validation (plan/choose-tta.ts), written to plan.json. */
async function recordTta(s: TrainingSession, plan: RunPlan): Promise<void> {
  const tta = await chooseTta(s);
  plan.tta = tta;
  s.folder.writeJson('plan.json', plan);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  s.log(
    `tta: flips ${tta.flips ? 'help' : 'do not help'} on validation (${pct(tta.plain)} → ${pct(tta.flipped)})${tta.flips ? '; pass --tta flips to eval, predict and serve' : ''}`,
  );
}

/** Picks up a resumed run where its last checkpoint left it; metrics written after that checkpoint are dropped. */
function resumeFromLastCheckpoint(s: TrainingSession): void {
  const ckpt = loadCheckpoint(s.folder.lastCheckpoint);
  try {
    restoreRun(s, ckpt);
  } finally {
    ckpt.dispose();
  }
  const { round, epoch } = s.state;
  if (s.primary) s.folder.rewriteMetrics((r) => (r.round ?? 0) < round || ((r.round ?? 0) === round && (r.epoch ?? 0) <= epoch));
  s.log(`resumed at epoch ${epoch} (step ${s.state.step})`);
}

/** The training images of a round: the labelled set plus the round's pseudo-labelled images. */
function trainingSet(s: TrainingSession, pseudo: RunState['pseudo']): ImageDataset {
  const train = s.data.train;
  if (!pseudo || !pseudo.paths.length) return train;
  const samples = pseudo.paths.map((path, i) => ({ path, label: pseudo.labels[i]! }));
  return { ...train, samples: [...train.samples, ...samples], source: `${train.source} + ${samples.length} pseudo-labelled` };
}

/**
 * Trains a model with the FGVC competition recipe from a configuration (see `TrainConfig`;
 * the same fields as the config file and `finegrain train` flags), writing checkpoints and
 * metrics into a new run folder. A killed run resumes exactly with `{ resume: runDir }`.
 *
 * @example
 *   const result = await train({ data: 'birds/', model: 'resnet50', pretrained: 'torchvision:resnet50', epochs: 20 });
 *   console.log(result.bestValAccuracy, result.runDir);
 */
export async function train(input: TrainConfigInput | TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const started = performance.now();
  // A fresh run's recipe and budget plan fill what the input leaves out (plan/plan-run.ts).
  const planned = options.resume || !wantsPlan(input) ? null : await planRun(input, log, started);
  const opened = await openParallelRun(planned?.input ?? input, options);
  const { folder, parallel } = opened;
  let config = opened.config;
  let s: TrainingSession;
  try {
    if (planned && (parallel?.primary ?? true)) folder.writeJson('plan.json', planned.plan);
    if (planned?.plan.budget?.race) config = await runRace(config, folder, planned.plan, log, started);
    s = await openSession(config, folder, log, parallel);
  } catch (e) {
    // Nothing trained: a fresh run's folder must not be left behind looking like a run.
    if (!options.resume && (parallel?.primary ?? true)) folder.discardUnstarted();
    throw e;
  }
  const pseudoRounds: TrainResult['pseudoRounds'] = [];
  let finalAcc = NaN;
  // Freed activations stay in the process for the next step (src/native/host-memory.ts).
  cacheHostMemory(true);
  try {
    if (options.resume && existsSync(folder.lastCheckpoint)) resumeFromLastCheckpoint(s);
    s.budget = budgetClock(s, planned?.plan ?? null, started);
    for (let round = s.state.round; round <= config.pseudoRounds; round++) {
      if (round > s.state.round) {
        // A new round: pseudo-label the unlabelled set with the best model so far, retrain.
        const pseudo = await pseudoLabel(s);
        Object.assign(s.state, { round, epoch: 0, step: 0, boxes: null, pseudo });
      }
      finalAcc = await runRound(s, round, trainingSet(s, s.state.pseudo), { stopAfterEpochs: options.stopAfterEpochs });
      pseudoRounds.push({ round, added: s.state.pseudo?.paths.length ?? 0, valAccuracy: finalAcc });
      if (options.stopAfterEpochs !== undefined && s.state.epoch < s.config.epochs) break;
    }
    const plan = s.budget?.plan ?? planned?.plan;
    if (plan?.preset === 'best' && s.state.epoch >= s.config.epochs && s.primary) await recordTta(s, plan);
  } finally {
    closeSession(s);
    cacheHostMemory(false);
  }
  log(s.skips.summary());
  const seconds = (performance.now() - started) / 1000;
  return {
    runDir: folder.dir,
    bestValAccuracy: s.state.best,
    finalValAccuracy: finalAcc,
    epochs: s.state.epoch,
    seconds,
    pseudoRounds,
    skipped: s.skips.summary(),
    ...(s.budget ? { budget: { seconds: s.budget.plan.budget.seconds, used: s.budget.used() } } : {}),
  };
}
