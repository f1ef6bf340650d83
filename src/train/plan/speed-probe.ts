/**
 * How long a training step takes at each image size on this machine, measured rather than
 * guessed: a throwaway copy of the run's architecture (random weights, the run's device,
 * precision and memory layout) takes a warm-up step and then timed forward + backward passes
 * on a batch of the run's size at each size. Costs a few seconds for MobileNetV2 on two
 * cores; the planner corrects the estimate with the real epochs as they finish (decoding,
 * augmentation and the optimiser are not in the probe).
 *
 * @example
 *   const perImage = await probeStepSeconds(config, [224, 448], 33); // Map { 224 → 0.04, 448 → 0.16 }
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { createModel, modelInfo } from '../../models/registry.js';
import { crossEntropy } from '../../nn/functional/loss.js';
import { resolveChannelsLast, resolveDevice, resolvePrecision } from '../../runtime/device-choice.js';
import { cacheHostMemory, setNumThreads, useAllCores } from '../../runtime/settings.js';
import { randint, randn } from '../../tensor/creation.js';
import { scope } from '../../tensor/scope.js';
import type { TrainConfig } from '../config.js';
import { forwardLogits, prepareImages } from '../step.js';

/** Timed steps per size after the warm-up; the median is kept. */
const TIMED_STEPS = 2;

/** Seconds per training image at each size (forward + backward, the run's batch size). */
export async function probeStepSeconds(
  config: Pick<TrainConfig, 'model' | 'device' | 'precision' | 'channelsLast' | 'batchSize' | 'threads' | 'dropRate'> &
    Partial<Pick<TrainConfig, 'patchSize' | 'globalPool' | 'dropPath'>>,
  sizes: readonly number[],
  numClasses: number,
): Promise<Map<number, number>> {
  if (config.threads) setNumThreads(config.threads);
  else useAllCores();
  const device = resolveDevice(config.device);
  const precision = resolvePrecision(config.precision, device);
  const channelsLast = resolveChannelsLast(config.channelsLast, device, precision);
  // A ViT's position embedding fixes its input side: one model per size, with the run's options.
  const vit = modelInfo(config.model).family === 'vit';
  const build = (size: number) => {
    const m = createModel(config.model, {
      numClasses,
      dropRate: config.dropRate,
      ...(vit ? { imageSize: size } : {}),
      ...(vit && config.patchSize !== undefined ? { patchSize: config.patchSize } : {}),
      ...(vit && config.globalPool !== undefined ? { globalPool: config.globalPool } : {}),
      ...(vit && config.dropPath !== undefined ? { dropPath: config.dropPath } : {}),
    });
    if (device !== 'cpu' || channelsLast) m.to({ device, memoryFormat: channelsLast ? 'channelsLast' : undefined });
    m.train();
    return m;
  };
  const ordered = [...new Set(sizes)].sort((a, b) => a - b);
  let model = build(ordered[0]!);
  const out = new Map<number, number>();
  // As training runs: freed activation blocks stay in the process for the next step.
  cacheHostMemory(true);
  try {
    const batch = Math.max(2, config.batchSize); // BatchNorm needs two images in training mode
    for (const size of ordered) {
      if (vit && size !== ordered[0]) {
        model.dispose();
        model = build(size);
      }
      const times: number[] = [];
      for (let i = 0; i <= TIMED_STEPS; i++) {
        const started = performance.now();
        scope(() => {
          const x = prepareImages(randn([batch, 3, size, size]), device, channelsLast);
          const labels = randint(0, numClasses, [batch]).to({ device });
          crossEntropy(forwardLogits({ model, device, precision }, x), labels).backward();
          noGrad(() => model.zeroGrad());
          // Reading a value waits for the device (CUDA runs asynchronously).
          return labels.sum().item();
        });
        if (i > 0) times.push((performance.now() - started) / 1000);
      }
      times.sort((a, b) => a - b);
      out.set(size, times[times.length >> 1]! / batch);
      await new Promise((resolve) => setImmediate(resolve)); // let progress output through
    }
  } finally {
    model.dispose();
    cacheHostMemory(false);
  }
  return out;
}
