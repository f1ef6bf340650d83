/**
 * Parity checks against torchvision for the second half of the zoo (GoogLeNet, Inception v3,
 * DenseNet, ViT, ConvNeXt): scripts/oracle/export_torchvision_calibrated.py builds the
 * reference model with weights that exercise every layer, and writes its state dict, an input,
 * the eval output, the classifier's input and (optionally) training-mode outputs; this file
 * runs the script, copies the state dict into a finegrain model tensor by tensor (strictly:
 * every key and shape must match, which is the state-dict naming check) and compares.
 *
 * @example
 *   const exp = exportCalibrated(['densenet121'], { imageSize: 64, numClasses: 10, embeddingOf: 'classifier' });
 *   const model = withoutInit(() => createModel('densenet121', { numClasses: 10 }));
 *   const ref = loadExported(model, exp.path('densenet121'));
 *   assertParity(model.eval().forward(ref.input), ref.output);
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, openSafetensors, scope, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { assertClose } from '../support/assert-close.js';

const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(process.cwd(), 'scripts', 'oracle', 'export_torchvision_calibrated.py');

export interface ExportOptions {
  imageSize: number;
  numClasses?: number;
  /** Extra torchvision constructor arguments, e.g. { image_size: 64 }. */
  kwargs?: Record<string, unknown>;
  /** Dotted path of the classifier, whose input is exported as the embedding. */
  embeddingOf?: string;
  /** Also export training-mode outputs (dropout and stochastic depth off). */
  trainOutput?: boolean;
}

export interface Export {
  dir: string;
  path(name: string): string;
  /** Removes the exported files. */
  cleanup(): void;
}

/** Runs the export script once for `names` (one Python start-up) into a fresh temporary folder. */
export function exportCalibrated(names: string[], options: ExportOptions): Export {
  const dir = mkdtempSync(join(tmpdir(), 'fg-parity-'));
  const args = [SCRIPT, names.join(','), dir, '--image-size', String(options.imageSize), '--num-classes', String(options.numClasses ?? 1000), '--threads', '2'];
  if (options.kwargs) args.push('--kwargs', JSON.stringify(options.kwargs));
  if (options.embeddingOf) args.push('--embedding-of', options.embeddingOf);
  if (options.trainOutput) args.push('--train-output');
  try {
    execFileSync(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  } catch (e: any) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`export_torchvision_calibrated.py failed:\n${e.stderr?.toString() ?? e.message}`);
  }
  return { dir, path: (name) => join(dir, `${name}.safetensors`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Exported {
  input: Tensor;
  output: Tensor;
  embedding?: Tensor;
  /** `__train_output__`, `__train_aux__`, … without the underscores: `train_output`, `train_aux1`. */
  extra: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * Copies the file's state dict into `model` one tensor at a time and returns the reference
 * tensors (`__input__`, …). Throws, naming the keys, unless the model's state-dict keys and
 * shapes are exactly the file's.
 */
export function loadExported(model: Module, path: string): Exported {
  const file = openSafetensors(path);
  try {
    const fileKeys = file.keys().filter((k) => !k.startsWith('__'));
    const entries = model.stateEntries();
    const ours = new Set(entries.map(([k]) => k));
    const missing = fileKeys.filter((k) => !ours.has(k));
    const extra = [...ours].filter((k) => !file.has(k));
    assert.deepEqual({ missingInModel: missing, notInTorchvision: extra }, { missingInModel: [], notInTorchvision: [] }, 'state-dict keys differ from torchvision');
    noGrad(() => {
      for (const [key, target] of entries) {
        assert.deepEqual(target.shape, file.info(key).shape, `shape of ${key}`);
        scope(() => {
          target.copy_(file.get(key));
        });
      }
    });
    const special = Object.fromEntries(file.keys().filter((k) => k.startsWith('__')).map((k) => [k.slice(2, -2), file.get(k)]));
    const { input, output, embedding, ...rest } = special;
    return { input: input!, output: output!, embedding, extra: rest, metadata: file.metadata };
  } finally {
    file.close();
  }
}

/** The criterion: max |a − b| within 1e-4 of the reference output's largest magnitude. */
export function assertParity(actual: Tensor, expected: Tensor, what = 'output'): number {
  return assertClose(actual, expected, { rtol: 1e-4, atol: 0, message: what });
}

/**
 * Guards against a vacuous comparison: the two samples of the batch must give clearly
 * different outputs (more than 1% of the output's scale), so the output depends on the input.
 */
export function assertInputDependent(output: Tensor): void {
  const [diff, scale] = scope(() => [output.select(0, 0).sub(output.select(0, 1)).abs().max().item(), output.abs().max().item()]);
  assert.ok(diff > 0.01 * scale, `outputs of different inputs barely differ (${diff} vs scale ${scale}): the comparison would prove little`);
}
