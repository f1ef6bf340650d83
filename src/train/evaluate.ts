/**
 * Validation after each epoch: top-1 accuracy and mean negative log-likelihood of the
 * evaluated model (the EMA average when the run keeps one) on the validation split, at the
 * epoch's resolution. Images that fail to decode go to the run's skip log.
 *
 * In a data-parallel run each rank validates its share of the images with rank 0's
 * BatchNorm statistics (shard-work.ts) and the sums are gathered, so every rank gets the
 * accuracy one process would and takes the same "best" decision.
 *
 * @example
 *   const { accuracy, loss } = await evaluateEpoch(session, epoch);
 */
import { subset } from '../data/datasets/compose.js';
import { predictDataset } from '../evaluation/predict-dataset.js';
import type { ImageClassifier } from '../models/classifier.js';
import { scope } from '../tensor/scope.js';
import { preprocessAt } from './run-state.js';
import type { TrainingSession } from './session.js';
import { gatherRows, ownIndices, syncBuffers } from './shard-work.js';

export async function evaluateEpoch(s: TrainingSession, epoch: number): Promise<{ accuracy: number; loss: number }> {
  const evalModel = (s.ema?.shadow ?? s.model) as ImageClassifier;
  await syncBuffers(s.parallel, [evalModel]);
  const mine = ownIndices(s.data.val.samples.length, s.parallel);
  const preds = await predictDataset({ model: evalModel, preprocess: preprocessAt(s, epoch) }, subset(s.data.val, mine), {
    device: s.device,
    precision: s.precision,
    channelsLast: s.channelsLast,
    batchSize: s.config.batchSize,
    workers: s.config.workers,
  });
  let correct: Float32Array;
  let nll: Float32Array;
  try {
    s.skips.note(preds.skippedFiles);
    [correct, nll] = scope(() => [
      preds.probs.argmax(1).eq(preds.labels).float().cpu().toTypedArray() as Float32Array,
      preds.probs.gather(1, preds.labels.unsqueeze(1)).clamp(1e-12, null).log().neg().float().cpu().contiguous().toTypedArray() as Float32Array,
    ]);
  } finally {
    preds.dispose();
  }
  // One row per validation image: [correct, nll]; the sums come from the gathered table in
  // index order, the same on every rank.
  const rows = await gatherRows(s.parallel, s.data.val.samples.length, 2, (put) => preds.indices.forEach((j, r) => put(mine[j]!, [correct[r]!, nll[r]!])));
  let n = 0;
  let right = 0;
  let loss = 0;
  for (let i = 0; i < s.data.val.samples.length; i++) {
    const row = rows.row(i);
    if (!row) continue;
    n++;
    right += row[0]!;
    loss += row[1]!;
  }
  return n === 0 ? { accuracy: NaN, loss: NaN } : { accuracy: right / n, loss: loss / n };
}
