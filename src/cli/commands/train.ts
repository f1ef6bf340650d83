/**
 * `finegrain train --data DIR [--config FILE] [--model NAME] [...]` trains with the
 * competition recipe into a run folder; `finegrain train --resume RUN` continues a run.
 * Every option is a config key in kebab case (`--image-size` is `imageSize`); flags override
 * the config file.
 */
import { configFromFlags, configHelp, readConfigFile, type TrainConfigInput } from '../../train/config.js';
import { train, type TrainResult } from '../../train/trainer.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../usage-error.js';
import { launchWorkers } from '../launch-workers.js';

/** Data-parallel workers other than rank 0 print nothing on stdout: rank 0 prints the result. */
function printResult(result: unknown): void {
  if ((process.env.RANK ?? '0') === '0') console.log(JSON.stringify(result, null, 2));
}

/**
 * `calibrate` (the fine-tuning recipe's default): the best checkpoint calibrated on the run's own
 * split, so that it answers "unknown" and with the head validation prefers (trained or
 * closed-form). Single-process runs that finished; a data-parallel run's workers leave it to
 * `finegrain calibrate` after them.
 */
async function calibrateRun(result: TrainResult, epochsPlanned: number): Promise<void> {
  if (process.env.WORLD_SIZE && process.env.WORLD_SIZE !== '1') return;
  const config = JSON.parse(readFileSync(join(result.runDir, 'config.json'), 'utf8')) as { calibrate?: boolean };
  if (!config.calibrate || result.epochs < epochsPlanned) return;
  const best = join(result.runDir, 'checkpoints', 'best.safetensors');
  if (!existsSync(best)) return;
  const { calibrate } = await import('../../open-world/calibrate-checkpoint.js');
  const summary = await calibrate(best, { onNote: (line) => console.error(line) });
  console.error(
    `calibrated ${best}: the ${summary.head.kind} head answers (validation top-1 ${(summary.metrics.valAccuracy * 100).toFixed(1)} %); ${summary.path}`,
  );
}

/** The epochs a run's configuration asks for (to tell a finished run from a stopped one). */
function plannedEpochs(runDir: string): number {
  return (JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { epochs: number }).epochs;
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: finegrain train --data PATH [--config FILE.yaml|json] [options]
       finegrain train --resume RUN_DIR
       finegrain train --nproc-per-node N [--master-port P] ...   (N data-parallel workers on this machine)

Trains with the competition recipe into a run folder (config, metrics, curves, checkpoints).
Every option is also a config file key (camelCase: --image-size is imageSize); flags override the file.

options:
${configHelp()}

With --pretrained and no recipe flags a run gets the fine-tuning recipe; with --budget it also
plans its epochs and resolutions to end inside the time given (plan.json says what and why).
With an MAE encoder as --pretrained (finegrain pretrain's runs/mae/NAME, or the official
mae_pretrain_vit_base.pth) the recipe is MAE's fine-tuning: the encoder's model and image size,
--layer-decay 0.75, --drop-path 0.1, --global-pool avg, AdamW at 1e-3 x batch / 256, weight
decay 0.05, label smoothing 0.1, warm-up then cosine (docs/training.md says where it differs
from the paper). Flags given always win over the plan.

examples:
  finegrain train --data cars/ --model mobilenet_v2 --pretrained imagenet --budget 30m
  finegrain train --data cars/ --model mobilenet_v2 --pretrained imagenet --budget 1h --preset best
  finegrain train --data birds/ --model mobilenet_v2 --pretrained imagenet --freeze-until features.4 --epochs 6
  finegrain train --data birds/ --model regnet_y_16gf --pretrained torchvision:regnet_y_16gf.IMAGENET1K_SWAG_E2E_V1 \\
      --image-size 512 --final-image-size 960 --final-epochs 2 --crop attention --ema 0.999
  finegrain train --data cars/ --model resnet50 --pretrained checkpoint.pth.tar#state_dict_ema
  finegrain train --data birds/ --pretrained runs/mae/birds --epochs 30
  finegrain train --data birds/ --model vit_b_16 --pretrained mae_pretrain_vit_base.pth --layer-decay 0.65
  finegrain train --resume runs/run-2026-11-26_15-00-00`);
    return;
  }
  const rest = [...argv];
  const take = (flag: string): string | undefined => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    rest.splice(i, 2);
    return v;
  };
  const nproc = take('--nproc-per-node');
  const masterPort = take('--master-port');
  if (nproc !== undefined && !process.env.WORLD_SIZE) {
    // The launcher: the same command, without the launch flags, as N workers (launch-workers.ts).
    const script = process.argv[1]!;
    const status = await launchWorkers(Number(nproc), [script, 'train', ...rest], { masterPort: masterPort ? Number(masterPort) : undefined });
    if (status !== 0) process.exitCode = status;
    return;
  }
  const resume = take('--resume');
  const configFile = take('--config');
  if (resume) {
    if (rest.length) throw new UsageError('--resume continues the run with its saved configuration; other options are not allowed');
    const result = await train({} as TrainConfigInput, { resume });
    await calibrateRun(result, plannedEpochs(result.runDir));
    printResult(result);
    return;
  }
  const config = { ...(configFile ? readConfigFile(configFile) : {}), ...configFromFlags(rest) };
  const result = await train(config as TrainConfigInput);
  await calibrateRun(result, plannedEpochs(result.runDir));
  printResult(result);
}
