/**
 * The `finegrain` command line: `finegrain <command> [options]`. Each command lives in
 * `commands/<name>.ts` and is loaded only when run, so `finegrain --help` stays fast.
 */
import { pathToFileURL } from 'node:url';
import { isUsageError } from '../usage-error.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<void> }>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  demo: { summary: 'the main job: a short end-to-end run that prints what it measured', load: () => import('./commands/demo.js') },
  synth: { summary: 'generate the synthetic fine-grained dataset', load: () => import('./commands/synth.js') },
  train: { summary: 'train a classifier with the competition recipe (or --resume a run)', load: () => import('./commands/train.js') },
  eval: { summary: 'accuracy of a checkpoint or an ensemble on labelled data (top-1/5, per class, confusions)', load: () => import('./commands/eval.js') },
  calibrate: {
    summary: 'fit temperature, OOD statistics and thresholds for a checkpoint (stored beside it)',
    load: () => import('./commands/calibrate.js'),
  },
  pretrain: {
    summary: 'self-supervised pretraining (MAE) of a ViT on unlabelled photos, for train --pretrained',
    load: () => import('./commands/pretrain.js'),
  },
  hierarchy: {
    summary: 'a class hierarchy (make → model → series) with thresholds per level, stored beside a checkpoint',
    load: () => import('./commands/hierarchy.js'),
  },
  enroll: {
    summary: 'add a class to a checkpoint from a few photos, without training (stored beside it)',
    load: () => import('./commands/enroll.js'),
  },
  suggest: {
    summary: 'which unlabelled photos to label next: uncertain, diverse, no near-duplicates or bad photos (CSV)',
    load: () => import('./commands/suggest.js'),
  },
  classes: { summary: "a checkpoint's classes, trained and enrolled; remove an enrolled one", load: () => import('./commands/classes.js') },
  predict: { summary: 'predict images: Kaggle CSV or top-k JSON, TTA, ensembles, attention maps', load: () => import('./commands/predict.js') },
  serve: { summary: 'serve a checkpoint over HTTP: classify, verify, attention maps, metrics, web page', load: () => import('./commands/serve.js') },
  setup: { summary: 'find or install libtorch and build the native addon (what the install step does)', load: () => import('./commands/setup.js') },
  info: { summary: 'libtorch build, devices and threads', load: () => import('./commands/info.js') },
  models: { summary: 'registered architectures with parameters and GFLOPs', load: () => import('./commands/models.js') },
  export: { summary: 'export a checkpoint as ONNX (fp32 or int8) or a Triton model repository', load: () => import('./commands/export.js') },
  convert: { summary: 'a PyTorch checkpoint (.pth, .bin, .ckpt) as safetensors, without Python', load: () => import('./commands/convert.js') },
  forward: { summary: 'run a model in eval mode on a stored batch (safetensors in, safetensors out)', load: () => import('./commands/forward.js') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`);
  return `usage: finegrain <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n\`finegrain <command> --help\` describes each command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`finegrain: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    await (await command.load()).run(rest);
    return 0;
  } catch (e) {
    // Usage and input errors print their message alone; anything else keeps its stack.
    const err = e as Error & { code?: string };
    const stack: string | undefined = err.stack;
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || isUsageError(err)) {
      console.error(`finegrain ${name}: ${err.message}`);
      return 2;
    }
    console.error(`finegrain ${name}: ${stack ?? String(e)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
