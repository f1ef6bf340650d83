/**
 * `finegrain predict --checkpoint CKPT INPUTS... --out predictions.csv|.json`: the classes
 * of a folder of images (or single files) by a checkpoint or an ensemble, with test-time
 * augmentation, written as a Kaggle submission CSV (`filename,label`, file names relative
 * to the folder given) or JSON with the top-k classes and scores of every image.
 * Unreadable files are listed with their reasons and the rest are predicted.
 * `--attention-maps DIR` also writes, per image, the first model's attention map over it
 * with the predicted class written on it.
 *
 * @example
 *   finegrain predict --checkpoint runs/a/checkpoints/best.safetensors --tta flips \
 *     test_images/ --out submission.csv --attention-maps maps/
 */
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeAttentionOverlays } from '../../infer/attention-overlay.js';
import { openInputs, topKPredictions, writePredictions, type ImagePrediction } from '../../infer/predict-files.js';
import { useAllCores } from '../../runtime/settings.js';
import { frontDoor, MODEL_HELP, MODEL_OPTIONS, modelFlags, usageError } from '../shared-flags.js';

const HELP = `usage: finegrain predict --checkpoint CKPT [--checkpoint CKPT2 --ensemble-weight W ...]
                         (INPUTS... | --data DIR) [--out predictions.csv|.json]
                         [--top-k 5] [--attention-maps DIR] [--tta flips,scales=1,1.15]

Predicts images (folders are searched recursively) and writes:
  .csv   Kaggle's submission layout: filename,label (the file name relative to the folder
         given, or the base name of a file given alone; label = the top class's name)
  .json  the top-k classes with scores per image, and the files that could not be read
Without --out, a table goes to stdout. Unreadable files are listed on stderr, not fatal.

  --data DIR          a folder of images (same as giving it as an input)
  --out FILE          .csv or .json
  --top-k K           classes per image in JSON and the table (default 5)
  --label-column NAME header of the CSV's label column (default label; Sorghum: cultivar)
  --attention-maps DIR  one PNG per image: the first model's attention map over the
                      image with the predicted class written on it

${MODEL_HELP}

examples:
  finegrain predict --checkpoint best.safetensors photo1.jpg photo2.jpg
  finegrain predict --checkpoint a.safetensors --checkpoint b.safetensors --ensemble embeddings \\
      --data test_images/ --out submission.csv --attention-maps maps/`;

/** `sub/a.jpg` -> `sub/a.png`; a second image with the same stem keeps its extension (`sub/a.jpg.png`). */
function overlayNames(filenames: readonly string[]): string[] {
  const used = new Set<string>();
  return filenames.map((f) => {
    let name = f.slice(0, f.length - extname(f).length) + '.png';
    if (used.has(name)) name = f + '.png';
    used.add(name);
    return name;
  });
}

function printTable(rows: readonly ImagePrediction[]): void {
  const w = Math.max(8, ...rows.map((r) => r.filename.length));
  console.log(`${'filename'.padEnd(w)}  top classes`);
  for (const r of rows) console.log(`${r.filename.padEnd(w)}  ${r.top.map((t) => `${t.label} ${(100 * t.score).toFixed(1)}%`).join(', ')}`);
}

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    options: {
      ...MODEL_OPTIONS,
      data: { type: 'string', multiple: true },
      out: { type: 'string' },
      'top-k': { type: 'string' },
      'label-column': { type: 'string' },
      'attention-maps': { type: 'string' },
    },
    allowPositionals: true,
    tokens: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const flags = await modelFlags(values, tokens);
  const inputs = [...(values.data ?? []), ...positionals];
  if (!inputs.length) throw usageError('no inputs: give image files or folders (or --data DIR)');
  if (values.out && !/\.(csv|json)$/i.test(values.out)) throw usageError(`--out must name a .csv or .json file, got '${values.out}'`);
  const k = Number(values['top-k'] ?? 5);
  if (!Number.isInteger(k) || k < 1) throw usageError(`--top-k must be a positive integer, got '${values['top-k']}'`);

  const { dataset, names } = openInputs(inputs);
  const ens = await frontDoor(flags);
  try {
    const preds = await ens.predictDataset(dataset, flags.predict);
    let rows: ImagePrediction[];
    try {
      rows = topKPredictions(
        preds.probs,
        ens.classes,
        preds.paths.map((p) => names.get(p)!),
        preds.paths,
        k,
      );
    } finally {
      preds.dispose();
    }
    const skipped = preds.skippedFiles;
    if (values.out) {
      writePredictions(values.out, rows, {
        labelColumn: values['label-column'],
        skipped,
        extra: {
          checkpoints: ens.members.map((m) => ({ path: m.path, weight: m.weight, model: m.meta.model })),
          ensemble: flags.predict.ensemble,
          tta: flags.predict.tta ?? null,
          topK: k,
        },
      });
    } else {
      printTable(rows);
    }
    const target = values.out ? ` -> ${values.out}` : '';
    process.stderr.write(`predicted ${rows.length} image${rows.length === 1 ? '' : 's'}${target}\n`);
    if (skipped.length) {
      process.stderr.write(`${skipped.length} file${skipped.length === 1 ? '' : 's'} could not be predicted:\n`);
      for (const f of skipped) process.stderr.write(`  ${f.reason}: ${f.path}${f.detail ? ` (${f.detail})` : ''}\n`);
    }
    if (values['attention-maps']) {
      const dir = values['attention-maps'];
      const first = ens.members[0]!;
      const pngNames = overlayNames(rows.map((r) => r.filename));
      const outFor = new Map(rows.map((r, i) => [r.path, join(dir, pngNames[i]!)]));
      const captions = new Map(rows.map((r) => [r.path, `${r.top[0]!.label} ${(100 * r.top[0]!.score).toFixed(1)}%`]));
      const readable = { ...dataset, samples: rows.map((r) => ({ path: r.path, label: -1 })) };
      const { written, skipped: late } = await writeAttentionOverlays(first.model, readable, {
        preprocess: first.preprocess,
        outputPath: (p) => outFor.get(p)!,
        captions,
        batchSize: flags.predict.batchSize,
        device: flags.device,
        // The classifier's inference copy runs in its own precision (bf16 weights on that route).
        precision: ens.info.precision,
      });
      process.stderr.write(`wrote ${written.length} attention map${written.length === 1 ? '' : 's'} to ${dir}${late.count ? ` (${late.summary()})` : ''}\n`);
    }
  } finally {
    ens.dispose();
  }
}
