/**
 * STAND-IN until branch `open-world` is merged (it owns this file and replaces it): the
 * interface of the open-world brief, with the uncalibrated maximum-softmax-probability score.
 *
 * @example
 *   const cal = loadCalibration('best.safetensors') ?? uncalibrated();
 *   cal.unknown(logits, embeddings)[0].isUnknown;
 */
import { softmax } from '../nn/functional/activation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface UnknownVerdict {
  isUnknown: boolean;
  score: number;
  threshold: number;
  method: string;
  calibrated: boolean;
}

export interface Calibration {
  readonly temperature: number;
  readonly method: string;
  unknown(logits: Tensor, embeddings: Tensor): UnknownVerdict[];
  probabilities(logits: Tensor): Tensor;
  toJSON(): object;
  dispose(): void;
}

/** The calibration stored for a checkpoint; the stand-in knows none. */
export function loadCalibration(_checkpointPath: string): Calibration | null {
  return null;
}

/** Maximum softmax probability below 0.5 = unknown; temperature 1; not calibrated. */
export function uncalibrated(): Calibration {
  const threshold = 0.5;
  return {
    temperature: 1,
    method: 'msp',
    unknown(logits: Tensor): UnknownVerdict[] {
      const msp = scope(() => Array.from(softmax(logits.float(), 1).max(1).values.toTypedArray() as Float32Array));
      return msp.map((s) => ({ isUnknown: s < threshold, score: s, threshold, method: 'msp', calibrated: false }));
    },
    probabilities: (logits: Tensor) => scope(() => softmax(logits.float(), 1)),
    toJSON: () => ({ method: 'msp', temperature: 1, threshold, calibrated: false }),
    dispose() {},
  };
}
