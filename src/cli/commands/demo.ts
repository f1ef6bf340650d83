/**
 * `finegrain demo`: the README's main job. For now an engine demo: a small CNN learns a toy
 * fine-grained task (classes differ only in a small mark at a random place) on libtorch from
 * TypeScript, in float32 and in bfloat16 autocast with channels-last, and prints the
 * accuracy and throughput it measured.
 */
import { parseArgs } from 'node:util';
import { autocast } from '../../autograd/autocast.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { crossEntropy } from '../../nn/functional/loss.js';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../nn/layers/index.js';
import { SGD } from '../../optim/sgd.js';
import { cosineWithWarmup } from '../../train/schedule.js';
import { buildInfo, getNumThreads, manualSeed } from '../../runtime.js';
import { fromTypedArray } from '../../tensor/creation.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import '../../tensor/index.js';

const CLASSES = 4;
const SIZE = 32;

/** Noise images with one 5x5 mark whose pattern (a bar at one of four angles) is the class. */
function toyBatch(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const pixels = new Float32Array(n * 3 * SIZE * SIZE);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * CLASSES);
    labels[i] = BigInt(c);
    const base = i * 3 * SIZE * SIZE;
    for (let j = 0; j < 3 * SIZE * SIZE; j++) pixels[base + j] = rand() * 0.8;
    const ox = Math.floor(rand() * (SIZE - 5));
    const oy = Math.floor(rand() * (SIZE - 5));
    for (let k = 0; k < 5; k++) {
      const [dx, dy] = [[k, 2], [2, k], [k, k], [k, 4 - k]][c]!;
      for (let ch = 0; ch < 3; ch++) pixels[base + ch * SIZE * SIZE + (oy + dy!) * SIZE + ox + dx!] = 1;
    }
  }
  return { x: fromTypedArray(pixels, [n, 3, SIZE, SIZE]), y: fromTypedArray(labels, [n]) };
}

function makeModel(): Sequential {
  const block = (i: number, o: number) => [new Conv2d(i, o, 3, { padding: 1, bias: false }), new BatchNorm2d(o), new ReLU()];
  return new Sequential([...block(3, 16), new MaxPool2d(2), ...block(16, 32), new MaxPool2d(2), ...block(32, 64), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, CLASSES)]);
}

function train(precision: 'float32' | 'bfloat16', steps: number, batch: number): { accuracy: number; imagesPerSecond: number; loss: number } {
  manualSeed(0);
  const model = makeModel();
  if (precision === 'bfloat16') model.to({ memoryFormat: 'channelsLast' });
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  let loss = NaN;
  const started = performance.now();
  const lrAt = cosineWithWarmup({ lr: 0.05, totalSteps: steps, warmupSteps: Math.ceil(steps / 20) });
  for (let step = 0; step < steps; step++) {
    for (const g of opt.paramGroups) g.lr = lrAt(step);
    loss = scope(() => {
      const { x, y } = toyBatch(batch, 1000 + step);
      const input = precision === 'bfloat16' ? x.contiguous('channelsLast') : x;
      const l = precision === 'bfloat16' ? autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => crossEntropy(model.forward(input), y)) : crossEntropy(model.forward(input), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.item();
    });
  }
  const seconds = (performance.now() - started) / 1000;
  model.eval();
  const accuracy = noGrad(() =>
    scope(() => {
      const { x, y } = toyBatch(1000, 7);
      return model.forward(x).argmax(1).eq(y).float().mean().item();
    }),
  );
  opt.dispose();
  model.dispose();
  return { accuracy, imagesPerSecond: (steps * batch) / seconds, loss };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { steps: { type: 'string', default: '300' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('usage: finegrain demo [--steps N]\n\nTrains a small CNN on a toy fine-grained task in float32 and bfloat16 and prints accuracy and speed.');
    return;
  }
  const steps = Number(values.steps);
  const info = buildInfo();
  console.log(`finegrain demo — libtorch ${info.torchVersion}, ${getNumThreads()} CPU thread(s)`);
  console.log(`task: ${CLASSES} classes of ${SIZE}x${SIZE} noise images that differ only in a 5x5 mark at a random place (chance ${100 / CLASSES}%)`);
  for (const precision of ['float32', 'bfloat16'] as const) {
    const r = train(precision, steps, 32);
    console.log(`${precision.padEnd(8)}  ${steps} steps of 32: final loss ${r.loss.toFixed(3)}, held-out accuracy ${(100 * r.accuracy).toFixed(1)}%, ${r.imagesPerSecond.toFixed(0)} images/s`);
  }
}
