/**
 * One training round (the first training, or one pseudo-label round): epochs until
 * `config.epochs`, each one training, validation, the next epoch's crop boxes, the
 * checkpoint (last, and best when validation improved), a metrics record and the curves.
 * The checkpoint is written after everything the next epoch depends on is decided, so a
 * kill at any moment resumes to the same run.
 *
 * @example
 *   const valAccuracy = await runRound(session, round, trainSet, { stopAfterEpochs });
 */
import type { Box, ImageDataset } from '../data/datasets/dataset.js';
import type { DataLoader } from '../data/loader/loader.js';
import { copyFileAtomic } from '../io/atomic-write.js';
import { saveCheckpoint } from '../models/checkpoint/checkpoint.js';
import { trainLoader } from './batches.js';
import { chooseCropBoxes, drawCropBoxes } from './crop-refresh.js';
import { writeCurves, type EpochRecord } from './curves.js';
import { evaluateEpoch } from './evaluate.js';
import { gatherRows, ownIndices, syncBuffers } from './shard-work.js';
import { ProgressBar } from './progress.js';
import { checkpointMeta, imageSizeAt, preprocessAt } from './run-state.js';
import { cosineWithWarmup } from './schedule.js';
import type { TrainingSession } from './session.js';
import { trainEpoch, type StepContext } from './step.js';

export interface RoundOptions {
  /** Stop after this many epochs of this invocation (tests use it to simulate a kill). */
  stopAfterEpochs?: number;
}

/** Training loaders by image size; a loader over chosen crop boxes is rebuilt each time the boxes change. */
class Loaders {
  private readonly cache = new Map<number, DataLoader>();
  constructor(
    private readonly s: TrainingSession,
    private readonly trainSet: ImageDataset,
  ) {}

  get(size: number, boxes: (Box | undefined)[] | null): DataLoader {
    const ds: ImageDataset = boxes
      ? { ...this.trainSet, samples: this.trainSet.samples.map((x, i) => (boxes[i] ? { ...x, box: boxes[i] } : x)) }
      : this.trainSet;
    const key = boxes ? -size : size;
    let l = this.cache.get(key);
    if (!l || boxes) l = trainLoader(ds, this.s.config, size, this.s.normalization, this.s.parallel);
    this.cache.set(key, l);
    return l;
  }
}

function stepContext(s: TrainingSession, round: number, stepsPerEpoch: number): StepContext {
  const c = s.config;
  return {
    model: s.model,
    optimizer: s.optimizer,
    ema: s.ema,
    lrAt: cosineWithWarmup({ lr: c.lr, totalSteps: stepsPerEpoch * c.epochs, warmupSteps: Math.round(stepsPerEpoch * c.warmupEpochs) }),
    baseLrs: [...s.baseLrs],
    headGroups: s.headGroups,
    headOnlySteps: Math.round(stepsPerEpoch * c.headOnlyEpochs),
    bodyRampSteps: Math.round(stepsPerEpoch * c.warmupEpochs),
    peakLr: c.lr,
    device: s.device,
    precision: s.precision,
    channelsLast: s.channelsLast,
    accumulate: c.accumulate,
    labelSmoothing: c.labelSmoothing,
    logitAdjust: s.logitAdjust,
    seed: c.seed + round * 1000003,
    reducer: s.reducer,
    scaler: s.scaler,
  };
}

/** The next epoch's crop boxes, from this epoch's model (part of the checkpointed state). */
async function refreshCrops(s: TrainingSession, round: number, trainSet: ImageDataset): Promise<void> {
  const c = s.config;
  if (c.crop === 'random' || s.state.epoch >= c.epochs || s.state.epoch % c.cropEvery !== 0) return;
  // Data-parallel: each rank chooses the boxes of its share with rank 0's BatchNorm
  // statistics, and every rank gets all of them (shard-work.ts).
  await syncBuffers(s.parallel, [s.model]);
  const n = trainSet.samples.length;
  const mine = s.parallel ? ownIndices(n, s.parallel) : undefined;
  const chosen = await chooseCropBoxes(s.model, trainSet, {
    method: c.crop,
    preprocess: preprocessAt(s, s.state.epoch),
    batchSize: c.batchSize,
    device: s.device,
    precision: s.precision,
    channelsLast: s.channelsLast,
    threshold: c.cropThreshold,
    candidates: c.cropCandidates,
    cropSize: c.cropSize,
    seed: c.seed,
    epoch: s.state.epoch,
    workers: c.workers,
    indices: mine,
  });
  if (mine) {
    const rows = await gatherRows(s.parallel, n, 4, (put) =>
      mine.forEach((i) => chosen[i] && put(i, [chosen[i].x, chosen[i].y, chosen[i].width, chosen[i].height])),
    );
    s.state.boxes = Array.from({ length: n }, (_, i) => {
      const r = rows.row(i);
      return r ? { x: r[0]!, y: r[1]!, width: r[2]!, height: r[3]! } : undefined;
    });
  } else s.state.boxes = chosen;
  if (c.cropDump > 0 && s.primary) await drawCropBoxes(s.folder.path(`crops-round${round}-epoch${s.state.epoch}.png`), trainSet, s.state.boxes, c.cropDump);
}

/**
 * Budget runs: records the epoch's wall time and re-plans the remaining epochs; a change
 * replaces the session's config and is written (config.json, plan.json) before the
 * checkpoint, so a resumed run follows the new plan. Returns whether the plan changed.
 */
function replanAfterEpoch(s: TrainingSession, size: number, seconds: number): boolean {
  if (!s.budget) return false;
  const change = s.budget.afterEpoch({ size, seconds, epochsDone: s.state.epoch, config: s.config });
  if (!change) return false;
  s.config = { ...s.config, epochs: change.epochs, finalEpochs: change.finalEpochs };
  s.budget.plan.replans.push({ afterEpoch: s.state.epoch, ...change });
  if (s.primary) {
    s.folder.writeJson('config.json', s.config);
    s.folder.writeJson('plan.json', s.budget.plan);
  }
  s.log(`plan: ${change.reason}`);
  return true;
}

/** Runs the round's remaining epochs; returns the last validation accuracy. */
export async function runRound(s: TrainingSession, round: number, trainSet: ImageDataset, options: RoundOptions = {}): Promise<number> {
  const loaders = new Loaders(s, trainSet);
  const stepsPerEpoch = Math.ceil(loaders.get(s.config.imageSize, null).batchesPerEpoch() / s.config.accumulate);
  let ctx = stepContext(s, round, stepsPerEpoch);
  const records = s.folder.readMetrics().filter((r) => (r.round ?? 0) === round && r.epoch !== undefined) as unknown as EpochRecord[];
  let ran = 0;
  let lastAcc = NaN;
  let epochStarted = performance.now();
  while (s.state.epoch < s.config.epochs) {
    const c = s.config;
    const epoch = s.state.epoch;
    const size = imageSizeAt(c, epoch);
    const loader = loaders.get(size, s.state.boxes);
    const total = loader.batchesPerEpoch();
    const bar = new ProgressBar(`${round ? `round ${round} ` : ''}epoch ${epoch + 1}/${c.epochs} @${size}px`, total, { quiet: c.quiet || !s.primary });
    const batches = Object.assign(loader.epoch(epoch), { length: total });
    const { stats, step } = await trainEpoch(ctx, batches, s.state.step, (i, st) => bar.update(i + 1, { loss: st.loss, acc: st.accuracy }, st.images));
    bar.done();
    s.skips.note(loader.report());
    s.state.step = step;
    const val = await evaluateEpoch(s, epoch);
    lastAcc = val.accuracy;
    s.state.epoch = epoch + 1;
    const improved = val.accuracy > s.state.best;
    if (improved) s.state.best = val.accuracy;
    await refreshCrops(s, round, trainSet);
    // The schedule follows a re-planned epoch count (the cosine is stretched or shortened).
    if (replanAfterEpoch(s, size, (performance.now() - epochStarted) / 1000)) ctx = stepContext(s, round, stepsPerEpoch);
    epochStarted = performance.now();
    if (s.budget) s.state.seconds = s.budget.used();
    // Data-parallel: rank 0 writes; the barrier keeps other ranks from running ahead of a
    // checkpoint a kill could then lose (a resume restarts every rank from the same one).
    if (s.primary) saveCheckpoint(s.folder.lastCheckpoint, { model: s.model, ema: s.ema?.shadow, optimizer: s.optimizer, meta: checkpointMeta(s) });
    if (s.primary && improved) copyFileAtomic(s.folder.lastCheckpoint, s.folder.bestCheckpoint);
    const record = {
      round,
      epoch: s.state.epoch,
      imageSize: size,
      trainLoss: stats.loss,
      trainAcc: stats.accuracy,
      valLoss: val.loss,
      valAcc: val.accuracy,
      lr: ctx.lrAt(Math.max(0, s.state.step - 1)),
      imagesPerSecond: stats.images / stats.seconds,
      seconds: stats.seconds,
      ...(s.budget ? { budgetUsed: s.state.seconds } : {}),
    };
    records.push(record);
    if (s.primary) {
      s.folder.appendMetrics(record);
      await writeCurves(s.folder.path('curves.png'), records);
    }
    await s.parallel?.group.barrier();
    s.log(
      `epoch ${s.state.epoch}/${s.config.epochs}: train loss ${stats.loss.toFixed(4)} acc ${(100 * stats.accuracy).toFixed(2)}%, val loss ${val.loss.toFixed(4)} acc ${(100 * val.accuracy).toFixed(2)}%${improved ? ' (best)' : ''}, ${(stats.images / stats.seconds).toFixed(1)} img/s`,
    );
    ran++;
    if (options.stopAfterEpochs !== undefined && ran >= options.stopAfterEpochs) break;
  }
  return lastAcc;
}
