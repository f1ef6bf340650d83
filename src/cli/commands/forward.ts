/**
 * `finegrain forward`: runs a registered model in eval mode, without gradients, on a batch
 * stored in a safetensors file (key `input`, float32 NCHW) and writes the result (key
 * `output`) to another: a language-neutral way to check finegrain's numbers against another
 * framework's, or to score a stored batch from a script.
 *
 * @example
 *   finegrain forward --model mobilenet_v2 --weights mobilenet_v2.safetensors \
 *     --input batch.safetensors --out logits.safetensors
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { noGrad } from '../../autograd/grad-mode.js';
import { openSafetensors } from '../../io/safetensors/open.js';
import { saveSafetensors } from '../../io/safetensors/save.js';
import { createModel, modelInfo } from '../../models/registry.js';
import type { ImageClassifier } from '../../models/classifier.js';
import { cat } from '../../tensor/join.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isUsageError, UsageError } from '../../usage-error.js';
import { weightsArgument } from '../weights-argument.js';
import { pretrainedOptions } from '../../hub/index.js';

const HELP = `usage: finegrain forward --model NAME --weights W --input IN.safetensors --out OUT.safetensors
                         [--num-classes N] [--batch-size B]

Runs the model in eval mode (no dropout, BatchNorm running statistics, no gradients) on the
batch stored under the key 'input' of IN (float32, [N, C, H, W]) and writes the result under
the key 'output' of OUT ([N, classes]: logits, or embeddings for a model with 0 classes).

  --model NAME      a registered model (finegrain models lists them)
  --weights W       the model's state dict (PyTorch key names): safetensors, a PyTorch
                    checkpoint (.pth/.bin/.ckpt, FILE#ENTRY for a nested one), or a name
                    (torchvision:resnet50, hf-hub:timm/<repo>, an https URL; fetched once)
  --input FILE      safetensors with the batch under 'input'
  --out FILE        where to write 'output' (written atomically)
  --num-classes N   classifier outputs (default: read from the weights' classifier)
  --batch-size B    images per forward pass (default 32; bounds memory, not the result)

example (PyTorch parity: save a torchvision state dict and a batch as safetensors first):
  finegrain forward --model resnet50 --weights resnet50.safetensors --input x.safetensors --out y.safetensors`;

function usageError(message: string): Error {
  return new UsageError(message);
}

function positiveInt(v: string | undefined, what: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`${what} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function mustExist(path: string, what: string): void {
  if (!existsSync(path)) throw usageError(`${what} not found: ${path}`);
  if (!statSync(path).isFile()) throw usageError(`${what} is not a file: ${path}`);
}

/** Reads and checks the stored batch: key 'input', float32, [N, channels, H, W]. */
function readInput(path: string, channels: number): Tensor {
  const file = openSafetensors(path);
  try {
    if (!file.has('input')) {
      const keys = file.keys();
      throw usageError(`${path} has no tensor 'input' (it holds ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'no tensors'})`);
    }
    const info = file.info('input');
    if (info.dtype !== 'float32') throw usageError(`${path}: 'input' must be float32, got ${info.stDtype}`);
    if (info.shape.length !== 4 || info.shape[1] !== channels || info.shape[0] === 0) {
      throw usageError(`${path}: 'input' must be a non-empty NCHW batch [N, ${channels}, H, W], got [${info.shape}]`);
    }
    return file.get('input');
  } finally {
    file.close();
  }
}

/**
 * Builds `name` with the weights in `path` through the registry's one loading path
 * (`createModel(name, { pretrained, exactPretrained })`): every key and shape must match,
 * the classifier included; googlenet/inception_v3 files saved without their auxiliary
 * classifiers build the model without them. The class count comes from `numClasses` or
 * else from the file's classifier.
 */
export function buildWithWeights(name: string, path: string, numClasses: number | undefined): ImageClassifier {
  try {
    return createModel(name, { ...pretrainedOptions(path, name), exactPretrained: true, ...(numClasses === undefined ? {} : { numClasses }) }).eval();
  } catch (e) {
    if (isUsageError(e)) throw e;
    throw usageError(`${(e as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      weights: { type: 'string' },
      input: { type: 'string' },
      out: { type: 'string' },
      'num-classes': { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const missing = (['model', 'weights', 'input', 'out'] as const).filter((k) => !values[k]);
  if (missing.length) throw usageError(`missing ${missing.map((k) => `--${k}`).join(', ')} (see finegrain forward --help)`);
  const name = values.model!;
  const numClasses = positiveInt(values['num-classes'], '--num-classes', 0);
  const batchSize = positiveInt(values['batch-size'], '--batch-size') ?? 32;
  let inputSize: number[];
  try {
    inputSize = modelInfo(name).inputSize;
  } catch (e) {
    throw usageError((e as Error).message);
  }
  await weightsArgument(values.weights!, '--weights');
  mustExist(values.input!, 'input file');
  const outDir = dirname(resolve(values.out!));
  if (!existsSync(outDir)) throw usageError(`output folder does not exist: ${outDir}`);

  const started = performance.now();
  const x = readInput(values.input!, inputSize[0]!);
  let model: ImageClassifier | undefined;
  try {
    model = buildWithWeights(name, values.weights!, numClasses);
    const m = model;
    const output = noGrad(() =>
      scope(() => {
        const n = x.shape[0]!;
        const parts: Tensor[] = [];
        for (let i = 0; i < n; i += batchSize) parts.push(m.forward(x.narrow(0, i, Math.min(batchSize, n - i))).to({ dtype: 'float32' }));
        return parts.length === 1 ? parts[0]!.contiguous() : cat(parts, 0);
      }),
    );
    saveSafetensors(values.out!, { output }, { model: name, weights: values.weights!, input: values.input! });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    console.log(`${name}: input [${x.shape}] -> output [${output.shape}] written to ${values.out} (${seconds} s)`);
    output.dispose();
  } finally {
    model?.dispose();
    x.dispose();
  }
}
