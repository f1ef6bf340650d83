/**
 * Linear heads on frozen embeddings for bench/open-world: full-batch AdamW on the softmax
 * cross-entropy (a linear probe of the ImageNet MobileNetV2 features), plus the long-tail
 * variants (balanced-softmax / logit-adjusted loss, class-balanced weighting).
 *
 * @example
 *   const head = trainLinearHead(emb, labels, 50, { steps: 300 });
 */
import { crossEntropy } from '../../src/nn/functional/loss.js';
import { AdamW } from '../../src/optim/adamw.js';
import { manualSeed } from '../../src/runtime/index.js';
import { fromTypedArray, zeros } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface Head {
  weight: Tensor;
  bias: Tensor;
  dispose(): void;
}

export interface HeadOptions {
  steps?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  /** Added to the logits during training only (balanced softmax: log class priors). */
  trainLogitOffset?: Float32Array;
  /** Per-class loss weights (class-balanced re-weighting). */
  classWeights?: Float32Array;
}

export function trainLinearHead(x: Tensor, labels: ArrayLike<number>, numClasses: number, options: HeadOptions = {}): Head {
  manualSeed(options.seed ?? 0);
  const d = x.shape[1]!;
  const weight = zeros([numClasses, d]).requiresGrad_();
  const bias = zeros([numClasses]).requiresGrad_();
  const y = fromTypedArray(BigInt64Array.from(Array.from(labels, (v) => BigInt(v))), [labels.length]);
  const offset = options.trainLogitOffset ? fromTypedArray(options.trainLogitOffset, [numClasses]) : null;
  const cw = options.classWeights ? fromTypedArray(options.classWeights, [numClasses]) : null;
  const opt = new AdamW([weight, bias], { lr: options.lr ?? 3e-3, weightDecay: options.weightDecay ?? 1e-2 });
  try {
    for (let s = 0; s < (options.steps ?? 300); s++) {
      scope(() => {
        let logits = x.mm(weight.t()).add(bias);
        if (offset) logits = logits.add(offset);
        const loss = crossEntropy(logits, y, cw ? { weight: cw } : {});
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    }
  } finally {
    y.dispose();
    offset?.dispose();
    cw?.dispose();
  }
  weight.requiresGrad_(false);
  bias.requiresGrad_(false);
  return {
    weight,
    bias,
    dispose() {
      weight.dispose();
      bias.dispose();
    },
  };
}

export function headLogits(head: Head, x: Tensor): Tensor {
  return scope(() => x.mm(head.weight.t()).add(head.bias));
}
