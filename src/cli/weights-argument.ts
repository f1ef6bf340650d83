/**
 * What every command taking weights (`--weights`, `--pretrained`, `convert IN`) accepts, checked
 * once: a file (safetensors or a PyTorch checkpoint, `FILE#ENTRY` for a nested state dict) that
 * must exist, or a weights name (`torchvision:…`, `hf-hub:…`, an https URL) that is fetched into
 * the shared cache now, so the synchronous model loaders find it there.
 *
 * @example
 *   const weights = await weightsArgument(values.weights!, '--weights');
 *   createModel('resnet50', { pretrained: weights });
 */
import { existsSync, statSync } from 'node:fs';
import { isWeightsSpec, resolvePretrained } from '../hub/index.js';
import { splitEntry } from '../io/torch-pickle/index.js';
import { UsageError } from '../usage-error.js';

/** Returns the argument unchanged once it is usable; throws a one-line UsageError otherwise. */
export async function weightsArgument(value: string, flag: string): Promise<string> {
  if (isWeightsSpec(value)) {
    await resolvePretrained(value);
    return value;
  }
  const path = existsSync(value) ? value : splitEntry(value).path;
  if (!existsSync(path)) throw new UsageError(`${flag}: weights file not found: ${path}`);
  if (!statSync(path).isFile()) throw new UsageError(`${flag}: not a file: ${path}`);
  return value;
}
