/**
 * Validation after each epoch: top-1 accuracy and mean negative log-likelihood of the
 * evaluated model (the EMA average when the run keeps one) on the validation split, at the
 * epoch's resolution. Images that fail to decode go to the run's skip log.
 *
 * @example
 *   const { accuracy, loss } = await evaluateEpoch(session, epoch);
 */
import { predictDataset } from '../evaluation/predict-dataset.js';
import type { ImageClassifier } from '../models/classifier.js';
import { scope } from '../tensor/scope.js';
import { preprocessAt } from './run-state.js';
import type { TrainingSession } from './session.js';

export async function evaluateEpoch(s: TrainingSession, epoch: number): Promise<{ accuracy: number; loss: number }> {
  const evalModel = (s.ema?.shadow ?? s.model) as ImageClassifier;
  const preds = await predictDataset({ model: evalModel, preprocess: preprocessAt(s, epoch) }, s.data.val, {
    device: s.device,
    precision: s.precision,
    channelsLast: s.channelsLast,
    batchSize: s.config.batchSize,
    workers: s.config.workers,
  });
  try {
    s.skips.note(preds.skippedFiles);
    if (preds.indices.length === 0) return { accuracy: NaN, loss: NaN };
    return scope(() => {
      const correct = preds.probs.argmax(1).eq(preds.labels).float().mean().item();
      const loss = preds.probs.gather(1, preds.labels.unsqueeze(1)).clamp(1e-12, null).log().neg().mean().item();
      return { accuracy: correct, loss };
    });
  } finally {
    preds.dispose();
  }
}
