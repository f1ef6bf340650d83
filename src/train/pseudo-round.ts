/**
 * The start of a pseudo-label round (the seed's step after training): the best model so far
 * predicts the unlabelled images, those at or above `pseudoThreshold` confidence become
 * labelled training images of the next round. In a data-parallel run each rank predicts its
 * share and the (confidence, class) pairs are gathered (shard-work.ts): every rank picks
 * the same images, as one process would.
 *
 * @example
 *   session.state.pseudo = await pseudoLabel(session);
 */
import { predictDataset } from '../evaluation/predict-dataset.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import { existsSync } from 'node:fs';
import { subset } from '../data/datasets/compose.js';
import { gatherRows, ownIndices } from './shard-work.js';
import { openUnlabeled } from './datasets.js';
import { selectPseudoLabels } from './pseudo-labels.js';
import type { RunState } from './run-state.js';
import type { TrainingSession } from './session.js';

export async function pseudoLabel(s: TrainingSession): Promise<RunState['pseudo']> {
  const unlabeled = openUnlabeled(s.config.unlabeledData!);
  s.skips.note(unlabeled.skipped);
  const { folder } = s;
  const best = loadModelFromCheckpoint(existsSync(folder.bestCheckpoint) ? folder.bestCheckpoint : folder.lastCheckpoint, { device: s.device });
  try {
    const n = unlabeled.samples.length;
    const mine = ownIndices(n, s.parallel);
    const preds = await predictDataset({ model: best.model, preprocess: best.preprocess }, subset(unlabeled, mine), {
      device: s.device,
      precision: s.precision,
      channelsLast: s.channelsLast,
      batchSize: s.config.batchSize,
    });
    let picked: ReturnType<typeof selectPseudoLabels>;
    try {
      s.skips.note(preds.skippedFiles);
      // Every row's confidence and class (threshold 0 keeps them all); the threshold is applied below.
      picked = selectPseudoLabels(preds.probs, 0);
    } finally {
      preds.dispose();
    }
    const rows = await gatherRows(s.parallel, n, 2, (put) =>
      picked.rows.forEach((r, k) => put(mine[preds.indices[r]!]!, [picked.confidence[k]!, picked.labels[k]!])),
    );
    const out: NonNullable<RunState['pseudo']> = { paths: [], labels: [] };
    let predicted = 0;
    for (let i = 0; i < n; i++) {
      const row = rows.row(i);
      if (!row) continue;
      predicted++;
      // Math.fround: the confidence left the model as float32; compare it as one process does.
      if (Math.fround(row[0]!) >= s.config.pseudoThreshold) {
        out.paths.push(unlabeled.samples[i]!.path);
        out.labels.push(row[1]!);
      }
    }
    s.log(`pseudo labels: ${out.labels.length} of ${predicted} unlabelled images at confidence >= ${s.config.pseudoThreshold}`);
    return out;
  } finally {
    best.model.dispose();
  }
}
