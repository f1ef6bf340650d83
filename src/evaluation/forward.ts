/**
 * The inference step every path shares: one member's forward pass on a prepared batch (no
 * autograd, autocast in the chosen precision, optional test-time augmentation), and the
 * combination of an ensemble's members. `predictDataset` (eval, predict) and `classifier()`
 * (the library front door, the server) both call these, so they compute the same numbers.
 *
 * @example
 *   const out = memberForward(model, x, { device: 'cpu', precision: 'bfloat16' });
 *   const { probs } = combineMembers([out], [1], 'probabilities');
 */
import { autocast } from '../autograd/autocast.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { ImageClassifier } from '../models/classifier.js';
import { softmax } from '../nn/functional/activation.js';
import type { Device } from '../tensor/device.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Precision } from '../runtime/device-choice.js';
import { ttaForward, type TtaOptions } from './tta.js';

/** How an ensemble combines its members: the weighted mean of their probabilities, or of their weighted, concatenated embeddings classified side by side (see `predictDataset`). */
export type EnsembleMode = 'probabilities' | 'embeddings';

export interface ForwardOptions {
  device?: Device;
  precision?: Precision;
  channelsLast?: boolean;
  tta?: TtaOptions;
}

/** One member's float32 outputs on CPU: probabilities [N, K], logits [N, K], embeddings [N, D]. */
export interface MemberOutput {
  probs: Tensor;
  logits: Tensor;
  embeddings: Tensor;
}

/** Runs `f` under autocast for reduced precisions, plainly for float32. */
export function withPrecision<T>(precision: Precision, device: Device, f: () => T): T {
  return precision === 'float32' ? f() : autocast({ deviceType: device === 'cpu' ? 'cpu' : 'cuda', dtype: precision }, f);
}

/**
 * One member on a float32 batch `x` [N, 3, H, W] (any device): outputs moved to the CPU as
 * float32, returned out of the caller's scope.
 */
export function memberForward(model: ImageClassifier, x: Tensor, options: ForwardOptions = {}): MemberOutput {
  const device = options.device ?? 'cpu';
  const precision = options.precision ?? 'float32';
  return noGrad(() =>
    scope(() => {
      const input = x.to({ device, memoryFormat: options.channelsLast ? 'channelsLast' : undefined });
      const out = ttaForward(model, input, options.tta, (f) => withPrecision(precision, device, f));
      return { probs: out.probs.cpu(), logits: out.logits.cpu(), embeddings: out.embeddings.cpu() };
    }),
  );
}

/**
 * An ensemble's outputs from its members' (see predict-dataset.ts for the two modes):
 * probabilities — weighted mean of the softmax outputs; embeddings — softmax of the weighted
 * mean of the logits. Logits are the weighted mean either way (for energy-type OOD scores);
 * embeddings are concatenated, each scaled by its member's share of the weight. A single
 * member is returned as it is (copies).
 */
export function combineMembers(outputs: readonly MemberOutput[], weights: readonly number[], mode: EnsembleMode): MemberOutput {
  if (!outputs.length) throw new RangeError('combineMembers: no members');
  if (mode !== 'probabilities' && mode !== 'embeddings') throw new TypeError(`unknown ensemble mode '${mode}'`);
  return scope(() => {
    if (outputs.length === 1) {
      const o = outputs[0]!;
      return { probs: o.probs.clone(), logits: o.logits.clone(), embeddings: o.embeddings.clone() };
    }
    const total = weights.reduce((a, b) => a + b, 0);
    const share = (i: number) => weights[i]! / total;
    const sum = (pick: (o: MemberOutput) => Tensor) => outputs.map((o, i) => pick(o).mul(share(i))).reduce((a, b) => a.add(b));
    const logits = sum((o) => o.logits);
    const probs = mode === 'embeddings' ? softmax(logits, 1) : sum((o) => o.probs);
    const embeddings = cat(
      outputs.map((o, i) => o.embeddings.mul(share(i))),
      1,
    );
    return { probs, logits, embeddings };
  });
}
