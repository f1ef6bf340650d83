/**
 * The finegrain side of bench/models: one training step of a zoo model (forward, cross-entropy,
 * backward, SGD step, gradients dropped) written with the public API the way the training loop
 * (src/train/step.ts) runs it: `prepareImages` + `forwardLogits` under finegrain's precision
 * choice, `crossEntropy`, `SGD`. torch_models.py does the same in PyTorch.
 *
 * @example
 *   const c = new TrainCase({ model: 'resnet50', batch: 16, size: 224 }, 'fp32');
 *   const g = new TrainCase({ model: 'resnet50', batch: 128, size: 224 }, 'bf16-channels-last', 'cuda');
 *   const ms = c.time(1, 3);   // one untimed step, then three timed ones
 *   c.dispose();
 */
import { crossEntropy, randint, randn, scope, setPointwiseConvAsMatmul, SGD, type Tensor } from '../../src/index.js';
import { createModel, type ImageClassifier } from '../../src/models/index.js';
import { forwardLogits, prepareImages } from '../../src/train/step.js';
import type { Precision } from '../../src/runtime/device-choice.js';
import type { Device } from '../../src/tensor/device.js';

/** What one benchmark row trains: a registry model, a batch size, a square input size. */
export interface Workload {
  model: string;
  batch: number;
  size: number;
}

/**
 * fp32: float32, NCHW (PyTorch's eager default). bf16-channels-last: bfloat16 autocast on
 * channels-last tensors (finegrain's default CPU training precision on AMX / AVX-512 BF16 CPUs).
 * bf16-channels-last-onednn: the same with every convolution through oneDNN, 1×1 ones
 * included (`setPointwiseConvAsMatmul(false)`), i.e. PyTorch's kernel choice; finegrain only,
 * CPU only. On CUDA the same names mean the same precisions and layouts on cuDNN / cuBLAS.
 */
export type TrainMode = 'fp32' | 'bf16-channels-last' | 'bf16-channels-last-onednn';

/** The same SGD settings on both sides. */
export const SGD_SETTINGS = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
export const NUM_CLASSES = 1000;

/** [dtype, shape, strides] of what a step makes: compared with the PyTorch side's. */
export interface Signature {
  params: number;
  logits: [string, number[]];
  loss: string;
  /** The first conv's weight gradient: dtype, shape and strides (channels-last shows here). */
  firstConvGrad: [string, number[], number[]];
}

export class TrainCase {
  readonly model: ImageClassifier;
  readonly optimizer: SGD;
  readonly x: Tensor;
  readonly y: Tensor;
  private readonly precision: Precision;
  private readonly channelsLast: boolean;
  private readonly pointwiseAsMatmul: boolean;

  constructor(
    readonly workload: Workload,
    readonly mode: TrainMode,
    readonly device: Device = 'cpu',
  ) {
    this.precision = mode === 'fp32' ? 'float32' : 'bfloat16';
    this.channelsLast = mode !== 'fp32';
    this.pointwiseAsMatmul = mode !== 'bf16-channels-last-onednn';
    this.model = createModel(workload.model, { numClasses: NUM_CLASSES });
    if (device !== 'cpu') this.model.to({ device });
    if (this.channelsLast) this.model.to({ memoryFormat: 'channelsLast' });
    this.model.train();
    this.optimizer = new SGD(this.model.parameters(), SGD_SETTINGS);
    const { batch, size } = workload;
    // The batch lives on the device, on both sides: a step times the model, not the copy in.
    this.x = randn([batch, 3, size, size], { device }).keep();
    this.y = randint(0, NUM_CLASSES, [batch], { device }).keep();
  }

  /** One optimiser step; returns the loss (reading it waits for the step, as a training loop's logging does). */
  step(): number {
    const was = setPointwiseConvAsMatmul(this.pointwiseAsMatmul);
    let loss: number;
    try {
      loss = scope(() => {
        const x = prepareImages(this.x, this.device, this.channelsLast);
        const logits = forwardLogits({ model: this.model, device: this.device, precision: this.precision }, x);
        const l = crossEntropy(logits, this.y);
        l.backward();
        return l.item(); // on CUDA this waits for the step's kernels
      });
    } finally {
      setPointwiseConvAsMatmul(was);
    }
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }

  /** `warmup` untimed steps, then the milliseconds of each of `iters` steps. */
  time(warmup: number, iters: number): number[] {
    for (let i = 0; i < warmup; i++) this.step();
    const ms: number[] = [];
    for (let i = 0; i < iters; i++) {
      const start = process.hrtime.bigint();
      this.step();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return ms;
  }

  signature(): Signature {
    return scope(() => {
      const x = prepareImages(this.x, this.device, this.channelsLast);
      const logits = forwardLogits({ model: this.model, device: this.device, precision: this.precision }, x);
      const l = crossEntropy(logits, this.y);
      l.backward();
      const conv = this.model.parameters().find((p) => p.ndim === 4)!;
      const g = conv.grad!;
      const sig: Signature = {
        params: this.model.numParameters(),
        logits: [logits.dtype, logits.shape],
        loss: l.dtype,
        firstConvGrad: [g.dtype, g.shape, g.strides],
      };
      this.optimizer.zeroGrad();
      return sig;
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
    this.x.dispose();
    this.y.dispose();
  }
}

/**
 * Microseconds per in-place add of two 100,000-element tensors (median of 50): a probe of
 * how busy the machine is. libtorch splits such an add across its threads, and the split
 * waits for every thread: on a quiet machine it takes tens of microseconds, but when other
 * jobs hold the cores each add waits for a time slice (milliseconds), and so do the hundreds
 * of parallel operators of every training step, on both sides.
 *
 * @example parallelAddMicros(); // ~20 on a quiet 2-core machine, ~8000 on a busy one
 */
export function parallelAddMicros(): number {
  return scope(() => {
    const a = randn([100_000]);
    const b = randn([100_000]);
    for (let i = 0; i < 5; i++) a.add_(b, -1e-3);
    const us: number[] = [];
    for (let i = 0; i < 50; i++) {
      const start = process.hrtime.bigint();
      a.add_(b, -1e-3);
      us.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
    us.sort((x, y) => x - y);
    return us[us.length >> 1]!;
  });
}
