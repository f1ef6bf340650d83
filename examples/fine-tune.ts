/**
 * Fine-tune on a folder of photos, one sub-folder per class, and report the best validation
 * accuracy. The run folder (config, metrics, curves, checkpoints) lands under `runs/`.
 *
 *   node build/examples/fine-tune.js birds/ [epochs]
 */
import { train } from 'finegrain';

const [data, epochs = '6'] = process.argv.slice(2);
if (!data) throw new Error('usage: fine-tune.js DATA_FOLDER [EPOCHS]');

const result = await train(
  { data, model: 'regnetx_002', imageSize: 64, batchSize: 16, epochs: Number(epochs), augment: 'none', name: 'example', quiet: true },
  { log: (line) => console.error(line) },
);
console.log(`best validation accuracy ${(result.bestValAccuracy * 100).toFixed(1)} %, run folder ${result.runDir}`);
