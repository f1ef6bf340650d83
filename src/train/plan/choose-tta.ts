/**
 * The `best` preset's last step: whether flip test-time augmentation helps this model,
 * decided on the validation split with the run's best checkpoint (the EMA weights where the
 * run kept them). The answer goes to plan.json and the log; `finegrain eval`, `predict` and
 * `serve` take `--tta flips` to use it.
 *
 * @example
 *   const tta = await chooseTta(session);  // { flips: true, plain: 0.781, flipped: 0.792 }
 */
import { existsSync } from 'node:fs';
import { predictDataset } from '../../evaluation/predict-dataset.js';
import { loadCheckpoint } from '../../models/checkpoint/checkpoint.js';
import type { ImageClassifier } from '../../models/classifier.js';
import { scope } from '../../tensor/scope.js';
import { preprocessAt } from '../run-state.js';
import type { TrainingSession } from '../session.js';

export async function chooseTta(s: TrainingSession): Promise<{ flips: boolean; plain: number; flipped: number }> {
  const model = (s.ema?.shadow ?? s.model) as ImageClassifier;
  if (existsSync(s.folder.bestCheckpoint)) {
    const best = loadCheckpoint(s.folder.bestCheckpoint);
    try {
      model.loadStateDict(best.ema ?? best.model);
    } finally {
      best.dispose();
    }
  }
  const accuracy = async (flips: boolean) => {
    const preds = await predictDataset({ model, preprocess: preprocessAt(s, s.config.epochs - 1) }, s.data.val, {
      device: s.device,
      precision: s.precision,
      channelsLast: s.channelsLast,
      batchSize: s.config.batchSize,
      workers: s.config.workers,
      tta: flips ? { flips: true } : undefined,
    });
    try {
      return scope(() => preds.probs.argmax(1).eq(preds.labels).float().mean().item());
    } finally {
      preds.dispose();
    }
  };
  const plain = await accuracy(false);
  const flipped = await accuracy(true);
  return { flips: flipped > plain, plain, flipped };
}
