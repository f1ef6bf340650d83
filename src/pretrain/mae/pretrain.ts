/**
 * `pretrain(config)`: MAE pretraining of a timm-named ViT on a folder of unlabelled photos,
 * into a run folder:
 *
 *     runs/mae/<name>/
 *       config.json                   the resolved configuration (what `resume` continues)
 *       metrics.jsonl                 one record per epoch: loss, learning rate, images/s
 *       curves.png                    the loss per epoch
 *       reconstructions/epoch-N.png   fixed images and masks: original, masked, reconstruction, pasted
 *       checkpoints/last.safetensors  model + optimiser + where the run stands (resume)
 *       encoder.safetensors           the encoder alone, timm's keys: what `train --pretrained` takes
 *       skipped.json                  photos that could not be read, and why
 *
 * A run killed at any moment (even `kill -9`) continues with `resume: runDir` from its last
 * checkpoint (written atomically at each epoch end) and ends exactly where the uninterrupted
 * run would: data order and crops derive from (seed, epoch, position), and each step reseeds
 * libtorch from (seed, step), so the masks repeat too.
 *
 * @example
 *   const r = await pretrain({ data: 'photos/', model: 'vit_tiny_patch16_224', imageSize: 128, epochs: 100 });
 *   await train({ data: 'labelled/', pretrained: r.encoderPath });
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../../io/safetensors/index.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { flattenOptimizerState, restoreOptimizerState, type OptimizerStateJson } from '../../models/checkpoint/optimizer-state.js';
import { IMAGENET_MEAN, IMAGENET_STD, decodeSide } from '../../models/preprocess-config.js';
import { autocast } from '../../autograd/autocast.js';
import { AdamW } from '../../optim/adamw.js';
import { parameterGroups } from '../../nn/parameter-groups.js';
import { resolveDevice, resolvePrecision, type Precision } from '../../runtime/device-choice.js';
import { cacheHostMemory, manualSeed } from '../../runtime/settings.js';
import { scope } from '../../tensor/scope.js';
import { rand } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Rng } from '../../data/random.js';
import { DataLoader } from '../../data/loader/loader.js';
import { compose } from '../../data/transforms/compose.js';
import { centerCrop, randomHorizontalFlip, randomResizedCrop, resize } from '../../data/transforms/geometry.js';
import { normalize } from '../../data/transforms/normalize.js';
import { unlabeledFolder } from '../../data/datasets/unlabeled.js';
import type { ImageDataset } from '../../data/datasets/dataset.js';
import { RunFolder } from '../../train/run-folder.js';
import { cosineWithWarmup } from '../../train/schedule.js';
import { ProgressBar } from '../../train/progress.js';
import { writeCurves } from '../../train/curves.js';
import { UsageError } from '../../usage-error.js';
import { faultPoint } from '../../fault-points.js';
import { effectiveLr, parseMaeConfig, warmupEpochsOf, type MaeConfig, type MaeConfigInput } from './config.js';
import { MaskedAutoencoder } from './masked-autoencoder.js';
import { keptPatches } from './random-masking.js';
import { writeEncoderFile } from './encoder-file.js';
import { MAE_ENCODER_FILE } from '../../models/vit/mae-encoder.js';
import { writeReconstructionPicture } from './reconstruction-picture.js';

/** What `pretrain` reports. */
export interface PretrainResult {
  /** The run folder. */
  runDir: string;
  /** The encoder file fine-tuning starts from. */
  encoderPath: string;
  /** Epochs completed (in all invocations). */
  epochs: number;
  /** The last epoch's mean loss over removed patches. */
  finalLoss: number;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
  /** Images per second over this invocation's steps. */
  imagesPerSecond: number;
  /** Photos left out (unreadable), by reason. */
  skipped: string;
}

/** How `pretrain` runs, beside the configuration. */
export interface PretrainOptions {
  /** Continue the run in this folder from its last checkpoint (its config.json is used). */
  resume?: string;
  /** Stop after this many epochs of this invocation (tests use it to simulate a kill). */
  stopAfterEpochs?: number;
  /** Receives each log line (default: stderr). */
  log?: (line: string) => void;
}

/** One line of metrics.jsonl. */
interface EpochRecord {
  epoch: number;
  trainLoss: number;
  lr: number;
  imagesPerSecond: number;
  seconds: number;
}

/** Where a run stands, as its checkpoint's metadata holds it. */
interface RunState {
  format: 'finegrain-mae-run/1';
  epoch: number;
  step: number;
  records: EpochRecord[];
  optimizer: OptimizerStateJson;
}

const STATE_KEY = 'finegrain-mae-run';

function openRun(input: MaeConfigInput | undefined, options: PretrainOptions): { folder: RunFolder; config: MaeConfig } {
  if (options.resume) {
    if (!existsSync(join(options.resume, 'config.json'))) throw new UsageError(`--resume ${options.resume}: no run there (config.json missing)`);
    const folder = new RunFolder(options.resume);
    return { folder, config: parseMaeConfig(folder.readJson('config.json')) };
  }
  const config = parseMaeConfig(input);
  const folder = RunFolder.create(config.out, config.name, 'mae');
  folder.writeJson('config.json', config);
  return { folder, config };
}

function saveRun(path: string, model: MaskedAutoencoder, optimizer: AdamW, state: Omit<RunState, 'optimizer' | 'format'>): void {
  scope(() => {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(model.stateDict())) tensors[`model.${k}`] = t;
    const flat = flattenOptimizerState(optimizer.stateDict());
    Object.assign(tensors, flat.tensors);
    const record: RunState = { format: 'finegrain-mae-run/1', ...state, optimizer: flat.json };
    saveSafetensors(path, tensors, { [STATE_KEY]: JSON.stringify(record) });
  });
}

function restoreRun(path: string, model: MaskedAutoencoder, optimizer: AdamW): RunState {
  const { tensors, metadata } = loadSafetensors(path);
  try {
    const raw = metadata?.[STATE_KEY];
    if (!raw) throw new UsageError(`${path} is not an MAE pretraining checkpoint`);
    const state = JSON.parse(raw) as RunState;
    if (state.format !== 'finegrain-mae-run/1')
      throw new UsageError(`${path}: checkpoint format ${String(state.format)}, this finegrain reads finegrain-mae-run/1`);
    const weights: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) weights[k.slice(6)] = t;
    model.loadStateDict(weights, { strict: true });
    optimizer.loadStateDict(restoreOptimizerState(tensors, state.optimizer));
    return state;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * The fixed images (centre crops of the first readable photos) and masks of the reconstruction
 * picture, or null when none is asked for.
 */
async function pictureInputs(
  config: MaeConfig,
  model: MaskedAutoencoder,
  dataset: ImageDataset,
  normalization: { mean: number[]; std: number[] },
): Promise<{ images: Tensor; noise: Tensor } | null> {
  const n = config.reconstructions;
  if (n === 0) return null;
  // Unreadable photos drop out of the batch: more are read than shown.
  const few = { ...dataset, samples: dataset.samples.slice(0, 2 * n + 8) };
  const loader = new DataLoader(few, {
    batchSize: few.samples.length,
    transform: compose([resize(config.imageSize), centerCrop(config.imageSize), normalize(normalization.mean, normalization.std)]),
    decode: { maxShortSide: decodeSide(config.imageSize) },
  });
  for await (const batch of loader.epoch(0)) {
    try {
      const images = batch.images.slice(0, 0, n).to({ device: model.cls_token.device }).contiguous().keep();
      manualSeed(new Rng(config.seed, 'reconstruction').uint32());
      const noise = rand([images.size(0), model.numPatches], { device: images.device }).keep();
      return { images, noise };
    } finally {
      batch.dispose();
    }
  }
  return null;
}

/**
 * Pretrains (or resumes) an MAE run; see the file comment.
 *
 * @example
 *   await pretrain({ data: 'photos/', imageSize: 128, epochs: 3 });
 *   await pretrain(undefined, { resume: 'runs/mae/mae-2026-12-07_20-00-00' });
 */
export async function pretrain(input?: MaeConfigInput, options: PretrainOptions = {}): Promise<PretrainResult> {
  const started = performance.now();
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { folder, config } = openRun(input, options);
  const dataset = unlabeledFolder(config.data);
  if (dataset.samples.length === 0) {
    if (!options.resume) folder.discardUnstarted();
    throw new UsageError(`${config.data}: no images found (jpg, png, webp, …, searched recursively)`);
  }
  const device = resolveDevice(config.device);
  const precision: Precision = resolvePrecision(config.precision, device);
  // The initial weights are a function of the seed too: two runs of one config are the same run.
  manualSeed(new Rng(config.seed, 'init').uint32());
  const model = new MaskedAutoencoder({
    model: config.model,
    imageSize: config.imageSize,
    patchSize: config.patchSize,
    decoderDepth: config.decoderDepth,
    decoderDim: config.decoderDim,
  });
  let picture: { images: Tensor; noise: Tensor } | null = null;
  // Freed step memory stays in the process for the next step (as train does).
  cacheHostMemory(true);
  try {
    model.to({ device });
    model.train();
    const lr = effectiveLr(config);
    const optimizer = new AdamW(parameterGroups(model, { weightDecay: config.weightDecay }), { lr, betas: [0.9, 0.95] });
    const mean = [...IMAGENET_MEAN];
    const std = [...IMAGENET_STD];
    const batchSize = Math.min(config.batchSize, dataset.samples.length);
    const loader = new DataLoader(dataset, {
      batchSize,
      transform: compose([randomResizedCrop(config.imageSize, { scale: [config.minScale, 1] }), randomHorizontalFlip(), normalize(mean, std)]),
      shuffle: true,
      seed: config.seed,
      dropLast: dataset.samples.length >= 2 * batchSize,
      prefetch: Math.max(2, Math.ceil(config.workers / 2)),
      decode: { maxShortSide: decodeSide(config.imageSize) },
    });
    const stepsPerEpoch = loader.batchesPerEpoch();
    const totalSteps = stepsPerEpoch * config.epochs;
    const lrAt = cosineWithWarmup({ lr, totalSteps, warmupSteps: Math.round(warmupEpochsOf(config) * stepsPerEpoch), minLrRatio: config.minLr / lr });
    const last = folder.lastCheckpoint;
    let state: Omit<RunState, 'optimizer' | 'format'> = { epoch: 0, step: 0, records: [] };
    if (options.resume && existsSync(last)) {
      state = restoreRun(last, model, optimizer);
      // metrics.jsonl may hold an epoch the checkpoint never saw (a kill between the two writes).
      rewriteMetrics(folder, state.records);
      log(`resumed ${folder.dir} at epoch ${state.epoch}/${config.epochs}, step ${state.step}`);
    } else {
      log(
        `MAE ${folder.dir}: ${config.model} at ${config.imageSize} px (${model.numPatches} patches, ${keptPatches(model.numPatches, config.maskRatio)} visible), ` +
          `decoder ${model.decoder_blocks.children().length}×${model.decoder_embed.weight.size(0)}, ${dataset.samples.length} images, ${stepsPerEpoch} steps/epoch, ` +
          `lr ${lr.toExponential(2)}, ${device} (${precision})`,
      );
    }
    mkdirSync(folder.path('reconstructions'), { recursive: true });
    picture = await pictureInputs(config, model, dataset, { mean, std });
    const deviceType = device === 'cpu' ? 'cpu' : 'cuda';
    const mixed = precision === 'float32' ? undefined : <T>(fn: () => T) => autocast({ deviceType, dtype: precision }, fn);
    let imagesThisRun = 0;
    let secondsThisRun = 0;
    let epochsThisRun = 0;
    while (state.epoch < config.epochs) {
      if (options.stopAfterEpochs !== undefined && epochsThisRun >= options.stopAfterEpochs) break;
      const epoch = state.epoch;
      const bar = new ProgressBar(`mae epoch ${epoch + 1}/${config.epochs}`, stepsPerEpoch);
      const t0 = performance.now();
      let lossSum = 0;
      let images = 0;
      let step = state.step;
      let index = 0;
      for await (const batch of loader.epoch(epoch)) {
        try {
          manualSeed(new Rng(config.seed, 'step', step).uint32());
          const rate = lrAt(step);
          for (const g of optimizer.paramGroups) g.lr = rate;
          const loss = scope(() => {
            const x = batch.images.to({ device });
            const out = model.forwardLoss(x, { maskRatio: config.maskRatio, normPixLoss: config.normPixLoss, autocast: mixed });
            out.loss.backward();
            return out.loss.item();
          });
          if (!Number.isFinite(loss))
            throw new Error(
              `MAE loss became ${loss} at step ${step} (epoch ${epoch + 1}): lower --blr or use --precision float32; the last checkpoint is intact`,
            );
          optimizer.step();
          optimizer.zeroGrad();
          step++;
          faultPoint('train-step');
          const n = batch.indices.length;
          lossSum += loss * n;
          images += n;
          bar.update(index + 1, { loss: lossSum / images }, images);
        } finally {
          batch.dispose();
        }
        index++;
      }
      bar.done();
      const seconds = (performance.now() - t0) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / Math.max(1, images),
        lr: lrAt(Math.max(0, step - 1)),
        imagesPerSecond: images / seconds,
        seconds,
      };
      state = { epoch: epoch + 1, step, records: [...state.records, record] };
      imagesThisRun += images;
      secondsThisRun += seconds;
      epochsThisRun++;
      // The checkpoint first: metrics.jsonl is rewritten from it on resume.
      saveRun(last, model, optimizer, state);
      writeEncoderFile(folder.path(MAE_ENCODER_FILE), model, {
        model: config.model,
        imageSize: config.imageSize,
        patchSize: model.patchSize,
        maskRatio: config.maskRatio,
        epochs: state.epoch,
        mean,
        std,
      });
      folder.appendMetrics({ ...record });
      if (picture) {
        await writeReconstructionPicture(folder.path('reconstructions', `epoch-${epoch + 1}.png`), model, picture.images, {
          maskRatio: config.maskRatio,
          normPixLoss: config.normPixLoss,
          mean,
          std,
          noise: picture.noise,
        });
      }
      await writeCurves(folder.path('curves.png'), state.records);
      log(
        `epoch ${epoch + 1}/${config.epochs}: loss ${record.trainLoss.toFixed(4)}, ${record.imagesPerSecond.toFixed(1)} img/s, lr ${record.lr.toExponential(2)}`,
      );
    }
    const report = loader.report();
    folder.writeJson('skipped.json', report.files);
    return {
      runDir: folder.dir,
      encoderPath: folder.path(MAE_ENCODER_FILE),
      epochs: state.epoch,
      finalLoss: state.records.at(-1)?.trainLoss ?? NaN,
      seconds: (performance.now() - started) / 1000,
      imagesPerSecond: secondsThisRun > 0 ? imagesThisRun / secondsThisRun : 0,
      skipped: report.summary(),
    };
  } finally {
    picture?.images.dispose();
    picture?.noise.dispose();
    model.dispose();
    cacheHostMemory(false);
  }
}

/** metrics.jsonl as the checkpoint knows it (one line per saved epoch). */
function rewriteMetrics(folder: RunFolder, records: readonly EpochRecord[]): void {
  const path = folder.path('metrics.jsonl');
  const text = records.map((r) => JSON.stringify(r) + '\n').join('');
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileAtomic(path, text);
}
