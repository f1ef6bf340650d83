/**
 * The start of a pseudo-label round (the seed's step after training): the best model so far
 * predicts the unlabelled images, those at or above `pseudoThreshold` confidence become
 * labelled training images of the next round.
 *
 * @example
 *   session.state.pseudo = await pseudoLabel(session);
 */
import { predictDataset } from '../evaluation/predict-dataset.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import { existsSync } from 'node:fs';
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
    const preds = await predictDataset({ model: best.model, preprocess: best.preprocess }, unlabeled, {
      device: s.device,
      precision: s.precision,
      channelsLast: s.channelsLast,
      batchSize: s.config.batchSize,
    });
    try {
      s.skips.note(preds.skippedFiles);
      const picked = selectPseudoLabels(preds.probs, s.config.pseudoThreshold);
      s.log(`pseudo labels: ${picked.rows.length} of ${preds.indices.length} unlabelled images at confidence >= ${s.config.pseudoThreshold}`);
      return { paths: picked.rows.map((r) => preds.paths[r]!), labels: picked.labels };
    } finally {
      preds.dispose();
    }
  } finally {
    best.model.dispose();
  }
}
