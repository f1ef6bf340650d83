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
 * @example
 *   const result = await train({ data: 'birds/', model: 'resnet50', pretrained: 'resnet50.safetensors', epochs: 20 });
 *   console.log(result.bestValAccuracy, result.runDir);
 */
import { existsSync } from 'node:fs';
import type { Box, ImageDataset } from '../data/datasets/dataset.js';
import { createModel } from '../models/registry.js';
import type { ImageClassifier } from '../models/classifier.js';
import { AdamW } from '../optim/adamw.js';
import { SGD } from '../optim/sgd.js';
import type { Optimizer } from '../optim/optimizer.js';
import { cacheHostMemory, manualSeed, setNumThreads, useAllCores } from '../runtime.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';
import { classificationReport } from '../infer/metrics.js';
import { predictDataset } from '../infer/predict-dataset.js';
import { evalLoader, trainLoader, MEAN, STD } from './batches.js';
import { loadPretrainedModel, onnxImportableModels } from '../models/pretrained/load.js';
import { recalibrateBatchNorm } from '../models/pretrained/recalibrate.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { chooseCropBoxes, drawCropBoxes } from './crop-refresh.js';
import { openTrainingData, openUnlabeled, type TrainingData } from './datasets.js';
import { resolveChannelsLast, resolveDevice, resolvePrecision } from './device.js';
import { writeCurves, type EpochRecord } from './curves.js';
import { ModelEma } from './ema.js';
import { ProgressBar } from './progress.js';
import { selectPseudoLabels } from './pseudo-labels.js';
import { RunFolder } from './run-folder.js';
import { cosineWithWarmup } from './schedule.js';
import { trainEpoch, type StepContext } from './step.js';
import { copyFileSync } from 'node:fs';

export interface TrainResult {
  runDir: string;
  bestValAccuracy: number;
  finalValAccuracy: number;
  epochs: number;
  seconds: number;
  /** Validation accuracy after each pseudo-label round (round 0 = before pseudo labels). */
  pseudoRounds: { round: number; added: number; valAccuracy: number }[];
}

export interface TrainOptions {
  /** Continue the run in this folder from its last checkpoint (its config.json is used). */
  resume?: string;
  /** Stop after this many epochs of this invocation (tests use it to simulate a kill). */
  stopAfterEpochs?: number;
  log?: (line: string) => void;
}

interface RunState {
  epoch: number;
  step: number;
  best: number;
  boxes: (Box | undefined)[] | null;
  round: number;
  /** The pseudo-labelled images added in this round (part of the state, so a resume reuses them). */
  pseudo: { paths: string[]; labels: number[] } | null;
}

function modelOptions(c: TrainConfig, numClasses: number): Record<string, unknown> {
  return { numClasses, dropRate: c.dropRate, ...(c.attention ? { attention: c.attention } : {}) };
}

/**
 * The model to train. `pretrained` is a safetensors state dict (a different class count gets
 * a fresh classifier, the registry's rule), or `imagenet` for the models with a pretrained
 * import (the ONNX MobileNetV2), whose folded BatchNorms are then recalibrated on a few
 * training batches so training-mode BatchNorm keeps the pretrained function.
 */
async function buildModel(c: TrainConfig, numClasses: number, calibration: ImageDataset): Promise<ImageClassifier> {
  if (c.pretrained !== 'imagenet') {
    return createModel(c.model, { ...(modelOptions(c, numClasses) as any), ...(c.pretrained ? { pretrained: c.pretrained } : {}) });
  }
  if (!onnxImportableModels().includes(c.model)) {
    throw Object.assign(new Error(`pretrained 'imagenet' is available for ${onnxImportableModels().join(', ')}; for ${c.model} pass a safetensors file`), {
      name: 'UsageError',
    });
  }
  const model = loadPretrainedModel(c.model, { numClasses, dropRate: c.dropRate });
  const loader = evalLoader(calibration, { imageSize: c.imageSize, batchSize: 32, workers: c.workers });
  const batches: Tensor[] = [];
  try {
    for await (const b of loader.epoch(0)) {
      batches.push(b.images.clone().keep());
      b.dispose();
      if (batches.length >= 4) break;
    }
    recalibrateBatchNorm(model, batches);
  } finally {
    for (const t of batches) t.dispose();
  }
  model.train();
  return model;
}

/**
 * `freezeUntil`: switches off gradients of every parameter registered before the named
 * module. Returns how many parameter tensors it froze.
 */
export function freezeUntil(model: ImageClassifier, name: string): number {
  const modules = model.namedModules().map(([n]) => n);
  if (!modules.includes(name)) {
    const top = modules.filter((n) => n && !n.includes('.')).join(', ');
    throw Object.assign(new Error(`freezeUntil: ${model.constructor.name} has no module '${name}' (top-level modules: ${top})`), { name: 'UsageError' });
  }
  let frozen = 0;
  for (const [n, p] of model.namedParameters()) {
    if (n.startsWith(name + '.')) break;
    p.requiresGrad_(false);
    frozen++;
  }
  return frozen;
}

/**
 * Optimiser groups: decay / no-decay (no weight decay on norms and biases), each split into
 * body and classifier when `headLr` gives the classifier its own learning rate.
 */
function makeOptimizer(c: TrainConfig, model: ImageClassifier): Optimizer<any> {
  const head = model.classifierPath + '.';
  const groups = model.parameterGroups({ weightDecay: c.weightDecay }).flatMap((g) => {
    if (c.headLr === undefined) return [{ params: g.params, weightDecay: g.weightDecay, lr: c.lr }];
    const isHead = g.names.map((n) => n.startsWith(head));
    return [
      { params: g.params.filter((_, i) => !isHead[i]), weightDecay: g.weightDecay, lr: c.lr },
      { params: g.params.filter((_, i) => isHead[i]), weightDecay: g.weightDecay, lr: c.headLr },
    ].filter((x) => x.params.length > 0);
  });
  return c.optimizer === 'adamw'
    ? new AdamW(groups, { lr: c.lr, weightDecay: c.weightDecay })
    : new SGD(groups, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.momentum > 0 });
}

/** Input size for an epoch: the last `finalEpochs` run at `finalImageSize`. */
export function imageSizeAt(c: TrainConfig, epoch: number): number {
  return c.finalImageSize && epoch >= c.epochs - c.finalEpochs ? c.finalImageSize : c.imageSize;
}

export async function train(input: TrainConfigInput | TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const started = performance.now();
  let folder: RunFolder;
  let config: TrainConfig;
  if (options.resume) {
    if (!existsSync(`${options.resume}/config.json`))
      throw Object.assign(new Error(`--resume ${options.resume}: no run there (config.json missing)`), { name: 'UsageError' });
    folder = new RunFolder(options.resume);
    config = parseTrainConfig(folder.readJson('config.json'));
  } else {
    config = parseTrainConfig(input);
    folder = RunFolder.create(config.out, config.name);
    folder.writeJson('config.json', config);
  }
  if (config.threads) setNumThreads(config.threads);
  else useAllCores();
  const device = resolveDevice(config.device);
  const precision = resolvePrecision(config.precision, device);
  const channelsLast = resolveChannelsLast(config.channelsLast, device, precision);

  const data: TrainingData = openTrainingData(config);
  const classes = [...data.classes];
  folder.writeJson('classes.json', classes);
  if (data.train.skipped.count) log(`data: ${data.train.skipped.summary()}`);
  log(
    `run ${folder.dir}: ${config.model} on ${device} (${precision}${channelsLast ? ', channels-last' : ''}), ${classes.length} classes, ${data.train.samples.length} training / ${data.val.samples.length} validation images`,
  );

  manualSeed(config.seed); // the initial weights are part of what a seed reproduces
  const model = await buildModel(config, classes.length, data.train);
  if (config.freezeUntil) log(`froze ${freezeUntil(model, config.freezeUntil)} parameter tensors before ${config.freezeUntil}`);
  if (device !== 'cpu' || channelsLast) model.to({ device, memoryFormat: channelsLast ? 'channelsLast' : undefined });
  const optimizer = makeOptimizer(config, model);
  const ema = config.ema > 0 ? new ModelEma(model, config.ema, () => buildModelLike(config, classes.length, device, channelsLast)) : null;
  const state: RunState = { epoch: 0, step: 0, best: -1, boxes: null, round: 0, pseudo: null };

  if (options.resume && existsSync(folder.lastCheckpoint)) {
    const ckpt = loadCheckpoint(folder.lastCheckpoint);
    try {
      model.loadStateDict(ckpt.model);
      if (ckpt.optimizer) optimizer.loadStateDict(ckpt.optimizer);
      if (ema && ckpt.ema) {
        ema.shadow.loadStateDict(ckpt.ema);
        ema.updates = Number(ckpt.meta.emaUpdates ?? 0);
      }
      const saved = ckpt.meta.run as RunState;
      Object.assign(state, saved, { boxes: saved.boxes ?? null });
    } finally {
      ckpt.dispose();
    }
    folder.rewriteMetrics((r) => (r.round ?? 0) < state.round || ((r.round ?? 0) === state.round && r.epoch <= state.epoch));
    log(`resumed at epoch ${state.epoch} (step ${state.step})`);
  }

  const logitAdjust: Tensor | null =
    config.balance === 'logit-adjust'
      ? scope(() => {
          const total = data.trainCounts.reduce((a, b) => a + b, 0);
          return tensor(data.trainCounts.map((n) => config.logitAdjustTau * Math.log(Math.max(n, 1) / total)))
            .to({ device })
            .keep();
        })
      : null;

  const meta = (epoch: number): CheckpointMeta => ({
    model: config.model,
    modelOptions: modelOptions(config, classes.length),
    classes,
    imageSize: imageSizeAt(config, Math.max(0, epoch - 1)),
    mean: MEAN,
    std: STD,
    epoch,
    step: state.step,
    emaUpdates: ema?.updates ?? 0,
    run: { ...state },
  });

  const pseudoRounds: TrainResult['pseudoRounds'] = [];
  const withPseudo = (p: RunState['pseudo']): ImageDataset => {
    if (!p || !p.paths.length) return data.train;
    const samples = p.paths.map((path, i) => ({ path, label: p.labels[i]! }));
    return { ...data.train, samples: [...data.train.samples, ...samples], source: `${data.train.source} + ${samples.length} pseudo-labelled` };
  };
  let trainSet: ImageDataset = withPseudo(state.pseudo);
  let finalAcc = NaN;
  // Freed activations stay in the process for the next step (src/native/host-memory.ts).
  cacheHostMemory(true);
  try {
    for (let round = state.round; round <= config.pseudoRounds; round++) {
      if (round > state.round) {
        // A new round: pseudo-label the unlabelled set with the best model so far, retrain.
        state.pseudo = await pseudoLabel();
        Object.assign(state, { round, epoch: 0, step: 0, boxes: null });
        trainSet = withPseudo(state.pseudo);
      }
      finalAcc = await runRound(round);
      pseudoRounds.push({ round, added: state.pseudo?.paths.length ?? 0, valAccuracy: finalAcc });
      if (options.stopAfterEpochs !== undefined && state.epoch < config.epochs) break;
    }
  } finally {
    logitAdjust?.dispose();
    ema?.dispose();
    optimizer.dispose();
    model.dispose();
    cacheHostMemory(false);
  }
  return {
    runDir: folder.dir,
    bestValAccuracy: state.best,
    finalValAccuracy: finalAcc,
    epochs: state.epoch,
    seconds: (performance.now() - started) / 1000,
    pseudoRounds,
  };

  async function evaluate(epoch: number): Promise<{ accuracy: number; loss: number }> {
    const evalModel = (ema?.shadow ?? model) as ImageClassifier;
    const preds = await predictDataset({ model: evalModel, imageSize: imageSizeAt(config, epoch) }, data.val, {
      device,
      precision,
      channelsLast,
      batchSize: config.batchSize,
      workers: config.workers,
    });
    try {
      if (preds.indices.length === 0) return { accuracy: NaN, loss: NaN };
      const report = classificationReport(preds.probs, preds.labels, classes);
      const loss = scope(() => preds.probs.gather(1, preds.labels.unsqueeze(1)).clamp(1e-12, null).log().neg().mean().item());
      return { accuracy: report.top1, loss };
    } finally {
      preds.dispose();
    }
  }

  async function pseudoLabel(): Promise<RunState['pseudo']> {
    const unlabeled = openUnlabeled(config.unlabeledData!);
    const { loadModelFromCheckpoint } = await import('../infer/load-model.js');
    const best = loadModelFromCheckpoint(existsSync(folder.bestCheckpoint) ? folder.bestCheckpoint : folder.lastCheckpoint, { device });
    try {
      const preds = await predictDataset({ model: best.model, imageSize: best.meta.imageSize }, unlabeled, {
        device,
        precision,
        channelsLast,
        batchSize: config.batchSize,
      });
      try {
        const picked = selectPseudoLabels(preds.probs, config.pseudoThreshold);
        log(`pseudo labels: ${picked.rows.length} of ${preds.indices.length} unlabelled images at confidence >= ${config.pseudoThreshold}`);
        return { paths: picked.rows.map((r) => preds.paths[r]!), labels: picked.labels };
      } finally {
        preds.dispose();
      }
    } finally {
      best.model.dispose();
    }
  }

  async function runRound(round: number): Promise<number> {
    const loaders = new Map<number, ReturnType<typeof trainLoader>>();
    const loaderFor = (size: number, boxes: (Box | undefined)[] | null) => {
      const ds: ImageDataset = boxes ? { ...trainSet, samples: trainSet.samples.map((s, i) => (boxes[i] ? { ...s, box: boxes[i] } : s)) } : trainSet;
      const key = boxes ? -size : size;
      let l = loaders.get(key);
      if (!l || boxes) l = trainLoader(ds, config, size);
      loaders.set(key, l);
      return l;
    };
    const stepsPerEpoch = Math.ceil(loaderFor(config.imageSize, null).batchesPerEpoch() / config.accumulate);
    const peakLr = config.lr;
    const ctx: StepContext = {
      model,
      optimizer,
      ema,
      lrAt: cosineWithWarmup({ lr: peakLr, totalSteps: stepsPerEpoch * config.epochs, warmupSteps: Math.round(stepsPerEpoch * config.warmupEpochs) }),
      baseLrs: optimizer.paramGroups.map((g) => g.lr),
      peakLr,
      device,
      precision,
      channelsLast,
      accumulate: config.accumulate,
      labelSmoothing: config.labelSmoothing,
      logitAdjust,
      seed: config.seed + round * 1000003,
    };
    let ran = 0;
    let lastAcc = NaN;
    const records: EpochRecord[] = folder.readMetrics().filter((r) => (r.round ?? 0) === round && r.epoch !== undefined) as EpochRecord[];
    while (state.epoch < config.epochs) {
      const epoch = state.epoch;
      const size = imageSizeAt(config, epoch);
      const loader = loaderFor(size, state.boxes);
      const total = loader.batchesPerEpoch();
      const bar = new ProgressBar(`${round ? `round ${round} ` : ''}epoch ${epoch + 1}/${config.epochs} @${size}px`, total, { quiet: config.quiet });
      const batches = Object.assign(loader.epoch(epoch), { length: total });
      const { stats, step } = await trainEpoch(ctx, batches, state.step, (i, s) => bar.update(i + 1, { loss: s.loss, acc: s.accuracy }, s.images));
      bar.done();
      state.step = step;
      const val = await evaluate(epoch);
      lastAcc = val.accuracy;
      state.epoch = epoch + 1;
      const improved = val.accuracy > state.best;
      if (improved) state.best = val.accuracy;
      // Next epoch's crops, from this epoch's model (part of the checkpointed state).
      if (config.crop !== 'random' && state.epoch < config.epochs && state.epoch % config.cropEvery === 0) {
        state.boxes = await chooseCropBoxes(model, trainSet, {
          method: config.crop,
          imageSize: imageSizeAt(config, state.epoch),
          batchSize: config.batchSize,
          device,
          precision,
          channelsLast,
          threshold: config.cropThreshold,
          candidates: config.cropCandidates,
          cropSize: config.cropSize,
          seed: config.seed,
          epoch: state.epoch,
          workers: config.workers,
        });
        if (config.cropDump > 0) await drawCropBoxes(folder.path(`crops-round${round}-epoch${state.epoch}.png`), trainSet, state.boxes, config.cropDump);
      }
      saveCheckpoint(folder.lastCheckpoint, { model, ema: ema?.shadow, optimizer, meta: meta(state.epoch) });
      if (improved) copyFileSync(folder.lastCheckpoint, folder.bestCheckpoint);
      const record = {
        round,
        epoch: state.epoch,
        imageSize: size,
        trainLoss: stats.loss,
        trainAcc: stats.accuracy,
        valLoss: val.loss,
        valAcc: val.accuracy,
        lr: ctx.lrAt(Math.max(0, state.step - 1)),
        imagesPerSecond: stats.images / stats.seconds,
        seconds: stats.seconds,
      };
      folder.appendMetrics(record);
      records.push(record);
      await writeCurves(folder.path('curves.png'), records);
      log(
        `epoch ${state.epoch}/${config.epochs}: train loss ${stats.loss.toFixed(4)} acc ${(100 * stats.accuracy).toFixed(2)}%, val loss ${val.loss.toFixed(4)} acc ${(100 * val.accuracy).toFixed(2)}%${improved ? ' (best)' : ''}, ${(stats.images / stats.seconds).toFixed(1)} img/s`,
      );
      ran++;
      if (options.stopAfterEpochs !== undefined && ran >= options.stopAfterEpochs) break;
    }
    return lastAcc;
  }
}

function buildModelLike(c: TrainConfig, numClasses: number, device: string, channelsLast: boolean): ImageClassifier {
  const m = createModel(c.model, modelOptions(c, numClasses) as any);
  if (device !== 'cpu' || channelsLast) m.to({ device: device as any, memoryFormat: channelsLast ? 'channelsLast' : undefined });
  return m;
}
