/**
 * Everything one training run works with, built once and passed explicitly to the pieces
 * of the loop (round.ts, evaluate.ts, pseudo-round.ts) instead of closures sharing state:
 * the resolved config and run folder, device and precision, the data, the model with its
 * optimiser and EMA, the run state a checkpoint carries, and the skip log.
 *
 * @example
 *   const s = await openSession(config, folder, log);
 *   try { ... } finally { closeSession(s); }
 */
import type { ImageClassifier } from '../models/classifier.js';
import { defaultPreprocess } from '../models/registry.js';
import { isWeightsSpec, resolvePretrained } from '../hub/index.js';
import { UsageError } from '../usage-error.js';
import type { Rgb } from '../models/preprocess-config.js';
import type { Optimizer } from '../optim/optimizer.js';
import { resolveChannelsLast, resolveDevice, resolvePrecision, type Precision } from '../runtime/device-choice.js';
import { manualSeed, setNumThreads, useAllCores } from '../runtime/settings.js';
import { tensor } from '../tensor/creation.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildModel, buildModelLike, freezeUntil, makeOptimizer } from './build-model.js';
import type { TrainConfig } from './config.js';
import { openTrainingData, type TrainingData } from './datasets.js';
import { ModelEma } from './ema.js';
import { initialRunState, preprocessAt, type RunState } from './run-state.js';
import type { RunFolder } from './run-folder.js';
import { SkipLog } from './skip-log.js';
import { prepareModel, type DataParallel } from './data-parallel.js';
import type { ProcessGroup } from '../distributed/process-group.js';
import { convertSyncBatchNorm } from '../distributed/sync-batch-norm.js';
import type { GradientReducer } from '../distributed/gradient-reducer.js';
import { GradScaler } from '../optim/grad-scaler.js';
import type { BudgetClock } from './plan/budget-clock.js';

export interface TrainingSession {
  /**
   * The resolved configuration. A budget run's re-plan replaces it after an epoch with new
   * epoch counts (plan/budget-clock.ts), and rewrites config.json before the checkpoint.
   */
  config: TrainConfig;
  readonly folder: RunFolder;
  readonly log: (line: string) => void;
  readonly device: Device;
  readonly precision: Precision;
  readonly channelsLast: boolean;
  readonly data: TrainingData;
  readonly classes: readonly string[];
  /** The run's input normalisation (config, else the model's default). */
  readonly normalization: { mean: Rgb; std: Rgb };
  readonly model: ImageClassifier;
  readonly optimizer: Optimizer<{ lr: number }>;
  /**
   * Each parameter group's configured learning rate, which the schedule scales. Taken when
   * the optimiser is made: a resumed optimiser's groups hold the last scheduled rate instead.
   */
  readonly baseLrs: readonly number[];
  /** Which optimiser groups hold only the classifier's parameters (headOnlyEpochs trains those first). */
  readonly headGroups: boolean[];
  readonly ema: ModelEma | null;
  /** log(class prior) · tau for logit adjustment, or null. */
  readonly logitAdjust: Tensor | null;
  readonly skips: SkipLog;
  /** Where the run stands; mutated as it goes, saved in every checkpoint. */
  readonly state: RunState;
  /** Data-parallel runs: the group and this rank (data-parallel.ts); null in one process. */
  readonly parallel: DataParallel | null;
  /** Averages gradients over the ranks during backward; null in one process. */
  readonly reducer: GradientReducer | null;
  /** syncBatchNorm runs: the group the BatchNorm statistics are summed over (a duplicate of the job's). */
  readonly statsGroup: ProcessGroup | null;
  /** Whether this process writes the run folder (rank 0, or the only process). */
  readonly primary: boolean;
  /** float16 runs: the dynamic loss scale, kept across epochs and rounds and in the checkpoint. */
  readonly scaler: GradScaler | null;
  /** Budget runs: the clock and cost model that re-plan after each epoch; null otherwise. */
  budget: BudgetClock | null;
}

export async function openSession(
  config: TrainConfig,
  folder: RunFolder,
  log: (line: string) => void,
  parallel: DataParallel | null = null,
): Promise<TrainingSession> {
  const primary = !parallel || parallel.primary;
  if (config.threads) setNumThreads(config.threads);
  else useAllCores();
  const device = resolveDevice(config.device);
  const precision = resolvePrecision(config.precision, device);
  const channelsLast = resolveChannelsLast(config.channelsLast, device, precision);
  // Weights by name are fetched once, before anything else (each rank of a parallel run waits
  // on the cache's lock rather than downloading again); their normalisation is the run's default.
  let base = defaultPreprocess(config.model);
  if (config.pretrained && isWeightsSpec(config.pretrained)) {
    const source = await resolvePretrained(config.pretrained);
    if (source.architecture && source.architecture !== config.model)
      throw new UsageError(`--pretrained ${config.pretrained} holds weights for ${source.architecture}, not --model ${config.model}`);
    if (source.preprocess) base = source.preprocess;
    log(`pretrained weights ${config.pretrained}: ${source.file}`);
  }
  const normalization = { mean: config.mean ?? base.mean, std: config.std ?? base.std };

  const data = openTrainingData(config);
  const classes = [...data.classes];
  if (primary) folder.writeJson('classes.json', classes);
  const skips = new SkipLog(primary ? folder.path('skipped.json') : null, log);
  skips.note(data.train.skipped);
  skips.note(data.val.skipped);
  log(
    `run ${folder.dir}: ${config.model} on ${device} (${precision}${channelsLast ? ', channels-last' : ''}), ${classes.length} classes, ${data.train.samples.length} training / ${data.val.samples.length} validation images`,
  );

  manualSeed(config.seed); // the initial weights are part of what a seed reproduces
  const model = await buildModel(config, classes.length, data.train, preprocessAt({ config, normalization }, 0), { classes, log });
  if (config.freezeUntil) log(`froze ${freezeUntil(model, config.freezeUntil)} parameter tensors before ${config.freezeUntil}`);
  // Its own group: the statistics' blocking sums must not queue behind gradient buckets in flight.
  const statsGroup = config.syncBatchNorm && parallel ? await parallel.group.duplicate() : null;
  if (statsGroup) log(`synchronised ${convertSyncBatchNorm(model, statsGroup)} BatchNorm layers over ${statsGroup.worldSize} ranks`);
  else if (config.syncBatchNorm && primary) log('syncBatchNorm: a single-process run; BatchNorm already sees the whole batch');
  if (device !== 'cpu' || channelsLast) model.to({ device, memoryFormat: channelsLast ? 'channelsLast' : undefined });
  const reducer = parallel ? await prepareModel(parallel, model, config.gradientCompression) : null;
  if (!parallel && config.gradientCompression !== 'none' && primary) log('gradientCompression: a single-process run; there is no all-reduce to compress');
  if (parallel)
    log(
      `data-parallel: rank ${parallel.rank} of ${parallel.worldSize}, ${reducer!.bucketSizes().length} gradient buckets${reducer!.gradientCompression === 'fp16' ? ', float16 gradient compression' : ''}`,
    );
  const optimizer = makeOptimizer(config, model);
  const ema = config.ema > 0 ? new ModelEma(model, config.ema, () => buildModelLike(config, classes.length, device, channelsLast)) : null;
  const logitAdjust =
    config.balance === 'logit-adjust'
      ? scope(() => {
          const total = data.trainCounts.reduce((a, b) => a + b, 0);
          return tensor(data.trainCounts.map((n) => config.logitAdjustTau * Math.log(Math.max(n, 1) / total)))
            .to({ device })
            .keep();
        })
      : null;
  const baseLrs = optimizer.paramGroups.map((g) => g.lr);
  const head = new Set(model.namedParameters().flatMap(([n, p]) => (n.startsWith(model.classifierPath + '.') ? [p] : [])));
  const headGroups = optimizer.paramGroups.map((g) => g.params.length > 0 && g.params.every((p) => head.has(p)));
  return {
    config,
    folder,
    log,
    device,
    precision,
    channelsLast,
    data,
    classes,
    normalization,
    model,
    optimizer,
    baseLrs,
    headGroups,
    ema,
    logitAdjust,
    skips,
    state: initialRunState(),
    parallel,
    reducer,
    statsGroup,
    primary,
    // float16 gradients underflow without loss scaling (bfloat16 has float32's range: no need).
    scaler: precision === 'float16' ? new GradScaler() : null,
    budget: null,
  };
}

/** Frees every native resource the session holds. */
export function closeSession(s: TrainingSession): void {
  s.reducer?.dispose();
  s.scaler?.dispose();
  s.statsGroup?.destroy();
  s.parallel?.group.destroy();
  s.logitAdjust?.dispose();
  s.ema?.dispose();
  s.optimizer.dispose();
  s.model.dispose();
}
