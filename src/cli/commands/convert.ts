/**
 * `finegrain convert`: a PyTorch checkpoint (or any weights file finegrain reads) written as
 * safetensors — for tools that want safetensors, or to read a checkpoint once and memory-map
 * the result afterwards. The state dict is chosen as everywhere else (`path#entry`, or the
 * automatic choice, which it prints); wrapper prefixes (`module.`, Lightning's `model.`) are
 * removed. Nothing in the file is run: the pickle is read through finegrain's allowlist.
 *
 * @example
 *   finegrain convert resnet50-0676ba61.pth resnet50.safetensors
 *   finegrain convert checkpoint.pth.tar#state_dict_ema ema.safetensors --dtype float16
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openWeights } from '../../io/weights-file.js';
import { openTorchCheckpoint } from '../../io/torch-pickle/index.js';
import { saveSafetensors } from '../../io/safetensors/save.js';
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { UsageError } from '../../usage-error.js';
import { isWeightsSpec, resolvePretrained } from '../../hub/index.js';

const HELP = `usage: finegrain convert IN OUT.safetensors [--dtype float32|float16|bfloat16] [--verify]

Reads a weights file — a PyTorch checkpoint (.pth, .pt, .bin, .ckpt; torch.save's zip or
legacy format) or safetensors — and writes its state dict as safetensors (atomically). No
Python is needed and nothing in the file is run: pickles reaching for anything but tensors
and plain data are refused.

  IN               the file, or a weights name (torchvision:resnet50, hf-hub:timm/<repo>,
                   an https URL; fetched into the shared cache first);
                   IN#ENTRY picks the state dict inside a training checkpoint
                   (e.g. ckpt.pth#model_ema, nested as ckpt.pth#a/b). Without #ENTRY the
                   choice is automatic (state_dict, model, ... ; EMA weights only when asked)
                   and printed.
  OUT              the safetensors file to write
  --dtype D        cast floating-point tensors to D (integer tensors keep theirs)
  --verify         check every storage of a zip checkpoint against its CRC-32 first

examples:
  finegrain convert resnet50-0676ba61.pth resnet50.safetensors
  finegrain convert last.ckpt#state_dict model.safetensors --dtype float16`;

const DTYPES: DType[] = ['float32', 'float16', 'bfloat16'];

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dtype: { type: 'string' },
      verify: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length !== 2) throw new UsageError(`expected IN and OUT, got ${positionals.length} argument(s) (see finegrain convert --help)`);
  const [input, output] = positionals as [string, string];
  if (!output.endsWith('.safetensors')) throw new UsageError(`OUT must end in .safetensors, got '${output}'`);
  const dtype = values.dtype as DType | undefined;
  if (dtype !== undefined && !DTYPES.includes(dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got '${dtype}'`);
  if (!existsSync(dirname(resolve(output)))) throw new UsageError(`output folder does not exist: ${dirname(resolve(output))}`);
  const started = performance.now();
  // A weights name is fetched into the cache, then converted from there.
  const source = isWeightsSpec(input) ? await resolvePretrained(input) : undefined;
  const path = source ? source.file : input;
  if (values.verify) {
    const ckpt = openTorchCheckpoint(path);
    try {
      ckpt.verify();
    } finally {
      ckpt.close();
    }
  }
  const file = openWeights(path);
  try {
    if (file.note) console.error(file.note);
    let bytes = 0;
    const keys = file.keys();
    scope(() => {
      const tensors: Record<string, Tensor> = {};
      for (const key of keys) {
        tensors[key] = file.get(key, dtype ? { dtype } : {});
        bytes += tensors[key].byteSize;
      }
      saveSafetensors(output, tensors, { source: input, format: file.format });
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    console.log(`wrote ${output}: ${keys.length} tensors, ${(bytes / 1e6).toFixed(1)} MB (${file.format} -> safetensors, ${seconds} s)`);
  } finally {
    file.close();
  }
}
