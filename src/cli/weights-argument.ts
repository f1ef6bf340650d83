/**
 * What every command taking weights (`--weights`, `convert IN`) accepts, checked once: a file
 * (safetensors or a PyTorch checkpoint, `FILE#ENTRY` for a nested state dict) that must exist,
 * or a weights name (`torchvision:…`, `hf-hub:…`, an https URL) that is fetched into the shared
 * cache now; either way the result is the local file (`#ENTRY` kept).
 *
 * @example
 *   const file = await weightsArgument(values.weights!, '--weights');
 *   createModel('resnet50', pretrainedOptions(values.weights!, 'resnet50'));
 */
import { existsSync, statSync } from 'node:fs';
import { isWeightsSpec, resolvePretrained } from '../hub/index.js';
import { splitEntry } from '../io/torch-pickle/index.js';
import { UsageError } from '../usage-error.js';

/** The local weights file the argument names; throws a one-line UsageError when there is none. */
export async function weightsArgument(value: string, flag: string): Promise<string> {
  if (isWeightsSpec(value)) return (await resolvePretrained(value)).file;
  const path = existsSync(value) ? value : splitEntry(value).path;
  if (!existsSync(path)) throw new UsageError(`${flag}: weights file not found: ${path}`);
  if (!statSync(path).isFile()) throw new UsageError(`${flag}: not a file: ${path}`);
  return value;
}
