/**
 * How hard is the synthetic dataset? Generates it, then trains (1) a linear softmax probe
 * on raw pixels and (2) a small CNN (4 conv layers, global max pooling) from scratch, and
 * reports test accuracy against chance. The dataset is meant to defeat the first (the
 * class lives in the shapes of small marks at random places, not in colours or layout)
 * and to reward the second, so that training choices show in the accuracy.
 *
 * @example
 *   node build/bench/data/synth-difficulty.js --classes 10 --per-class 150 --size 96 --epochs 12
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { conv2d, crossEntropy, linear, maxPool2d, relu } from '../../src/nn/functional/index.js';
import { AdamW } from '../../src/optim/index.js';
import { manualSeed, noGrad, randn, scope, setNumThreads, zeros, type Tensor } from '../../src/index.js';
import {
  compose,
  DataLoader,
  generateSynthDataset,
  imageFolder,
  normalize,
  randomHorizontalFlip,
  randomResizedCrop,
  resize,
  stratifiedSplit,
  type ImageDataset,
} from '../../src/data/index.js';

const { values } = parseArgs({
  options: {
    classes: { type: 'string', default: '10' },
    'per-class': { type: 'string', default: '150' },
    size: { type: 'string', default: '96' },
    epochs: { type: 'string', default: '12' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string', default: '2' },
  },
});
const numClasses = Number(values.classes);
const size = Number(values.size);
const epochs = Number(values.epochs);
const seed = Number(values.seed);
setNumThreads(Number(values.threads));
manualSeed(seed);

function param(shape: number[], fanIn: number): Tensor {
  return randn(shape)
    .mul(Math.sqrt(2 / fanIn))
    .requiresGrad_()
    .keep();
}

/** All images of a dataset as normalized batches (they fit in memory at this size). */
async function loadAll(ds: ImageDataset): Promise<{ x: Tensor; y: Tensor }[]> {
  const loader = new DataLoader(ds, { batchSize: 64, transform: compose([resize([size, size]), normalize()]) });
  const out: { x: Tensor; y: Tensor }[] = [];
  for await (const b of loader.epoch(0)) out.push({ x: b.images, y: b.labels });
  return out;
}

async function epochBatches(ds: ImageDataset, epoch: number, augment: boolean): Promise<{ x: Tensor; y: Tensor; dispose(): void }[]> {
  const tf = augment
    ? compose([randomResizedCrop(size, { scale: [0.6, 1] }), randomHorizontalFlip(), normalize()])
    : compose([resize([size, size]), normalize()]);
  const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, seed, transform: tf });
  const out: { x: Tensor; y: Tensor; dispose(): void }[] = [];
  for await (const b of loader.epoch(epoch)) out.push({ x: b.images, y: b.labels, dispose: () => b.dispose() });
  return out;
}

function accuracy(forward: (x: Tensor) => Tensor, batches: { x: Tensor; y: Tensor }[]): number {
  let right = 0;
  let total = 0;
  noGrad(() => {
    for (const b of batches) {
      scope(() => {
        right += forward(b.x).argmax(1).eq(b.y).sum().item();
        total += b.y.numel;
      });
    }
  });
  return right / total;
}

async function train(
  name: string,
  params: Tensor[],
  forward: (x: Tensor) => Tensor,
  trainDs: ImageDataset,
  test: { x: Tensor; y: Tensor }[],
  augment: boolean,
  lr: number,
  wd: number,
): Promise<number> {
  const opt = new AdamW(params, { lr, weightDecay: wd });
  const t0 = performance.now();
  let acc = 0;
  for (let e = 0; e < epochs; e++) {
    const batches = await epochBatches(trainDs, e, augment);
    let loss = 0;
    for (const b of batches) {
      loss += scope(() => {
        opt.zeroGrad();
        const l = crossEntropy(forward(b.x), b.y);
        l.backward();
        opt.step();
        return l.item();
      });
      b.dispose();
    }
    acc = accuracy(forward, test);
    console.log(
      `${name} epoch ${e + 1}/${epochs}: train loss ${(loss / batches.length).toFixed(3)}, test accuracy ${(100 * acc).toFixed(1)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  return acc;
}

const dir = mkdtempSync(join(tmpdir(), 'fg-synth-'));
try {
  const summary = await generateSynthDataset({ out: dir, classes: numClasses, perClass: Number(values['per-class']), size: 128, seed });
  console.log(`generated ${summary.images} images (${numClasses} classes) in ${summary.seconds.toFixed(1)} s`);
  const { train: trainDs, val: testDs } = stratifiedSplit(imageFolder(dir), { valFraction: 0.3, seed });
  const test = await loadAll(testDs);
  console.log(`train ${trainDs.samples.length}, test ${testDs.samples.length}, chance ${(100 / numClasses).toFixed(1)}%, input ${size} px`);

  // (1) Linear probe on raw (normalized) pixels.
  const features = 3 * size * size;
  const w = zeros([numClasses, features]).requiresGrad_().keep();
  const b = zeros([numClasses]).requiresGrad_().keep();
  const probe = await train('linear probe', [w, b], (x) => linear(x.flatten(1), w, b), trainDs, test, false, 1e-3, 0.05);

  // (2) A small CNN: 4 conv layers, global max pooling (a mark anywhere counts), linear head.
  const widths = [3, 32, 64, 96, 128];
  const convs = widths.slice(1).map((c, i) => ({ w: param([c, widths[i]!, 3, 3], 9 * widths[i]!), b: zeros([c]).requiresGrad_().keep() }));
  const head = { w: param([numClasses, 128], 128), b: zeros([numClasses]).requiresGrad_().keep() };
  const cnn = (x: Tensor) => {
    let h = x;
    convs.forEach((c, i) => {
      h = relu(conv2d(h, c.w, c.b, { padding: 1 }));
      if (i < convs.length - 1) h = maxPool2d(h, 2);
    });
    return linear(h.flatten(2).max(2).values, head.w, head.b);
  };
  const cnnAcc = await train('small CNN', [...convs.flatMap((c) => [c.w, c.b]), head.w, head.b], cnn, trainDs, test, true, 2e-3, 0.01);
  console.log(
    `\nRESULT chance ${(100 / numClasses).toFixed(1)}% | linear probe on raw pixels ${(100 * probe).toFixed(1)}% | small CNN ${(100 * cnnAcc).toFixed(1)}% (${epochs} epochs, ${size} px)`,
  );
  for (const t of test) {
    t.x.dispose();
    t.y.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
