/**
 * Parity checks against torchvision for the second half of the zoo (GoogLeNet, Inception v3,
 * DenseNet, ViT, ConvNeXt), in the pattern of support/parity.ts: the model is created by name
 * from exported weights (`createModel(name, { pretrained })`, whose loader fails on any key or
 * shape that is not torchvision's), its eval output must agree to within 1e-4 of the output's
 * largest magnitude, and it must free every tensor it made.
 *
 * The weights come from scripts/oracle/export_torchvision_calibrated.py (same files and
 * streaming as export_torchvision.py, driven here as support/torchvision-export.ts drives
 * that one), which also re-draws constant parameters and measures BatchNorm statistics so
 * the comparison is not blind, and exports the classifier's input (`embedding`) and optional
 * training-mode outputs for the extra checks a test passes as `more`.
 *
 * @example
 *   const run = startCalibratedExport([{ name: 'densenet121' }], { numClasses: 10, embeddingOf: 'classifier' });
 *   test('densenet121', { skip }, () => checkCalibrated(run, 'densenet121', { numClasses: 10 }));
 */
import assert from 'node:assert/strict';
import { liveTensors, loadSafetensors, noGrad, scope, type Tensor } from '../../src/index.js';
import { createModel, type CreateModelOptions } from '../../src/models/registry.js';
import type { ImageClassifier } from '../../src/models/classifier.js';
import { assertClose } from '../support/assert-close.js';
import { driveExporter, type ExportRun, type ExportSpec } from './support/torchvision-export.js';

const SCRIPT = 'scripts/oracle/export_torchvision_calibrated.py';

export interface CalibratedExportOptions {
  numClasses?: number;
  /** Extra torchvision constructor arguments, e.g. { transform_input: true }. */
  kwargs?: Record<string, unknown>;
  /** Pass each model's input size as `image_size` (ViT). */
  imageSizeArg?: boolean;
  /** Dotted path of the classifier, whose input is exported as `embedding`. */
  embeddingOf?: string;
  /** Also export training-mode outputs (dropout and stochastic depth off). */
  trainOutput?: boolean;
}

/** Starts one exporter process for `specs`, at most one model ahead of the checks. */
export function startCalibratedExport(specs: ExportSpec[], options: CalibratedExportOptions = {}): ExportRun {
  const names = specs.map((s) => (s.imageSize ? `${s.name}:${s.imageSize}` : s.name)).join(',');
  return driveExporter(
    SCRIPT,
    (dir) => {
      const args = [names, dir, '--lookahead', '1', '--num-classes', String(options.numClasses ?? 1000)];
      if (options.kwargs) args.push('--kwargs', JSON.stringify(options.kwargs));
      if (options.imageSizeArg) args.push('--image-size-arg');
      if (options.embeddingOf) args.push('--embedding-of', options.embeddingOf);
      if (options.trainOutput) args.push('--train-output');
      return args;
    },
    { ...process.env, PYTHONWARNINGS: 'ignore' },
  );
}

/** The criterion: max |a − b| within 1e-4 of the reference's largest magnitude. Returns the error. */
export function assertParity(actual: Tensor, expected: Tensor, what = 'output'): number {
  return assertClose(actual, expected, { rtol: 1e-4, atol: 0, message: what });
}

/**
 * Guards against a vacuous comparison: the two samples of the batch must give clearly
 * different outputs (more than 1% of the scale), so the output depends on the input.
 */
export function assertInputDependent(output: Tensor): void {
  const [diff, scale] = scope(() => [output.select(0, 0).sub(output.select(0, 1)).abs().max().item(), output.abs().max().item()]);
  assert.ok(diff > 0.01 * scale, `outputs of different inputs barely differ (${diff} vs scale ${scale}): the comparison would prove little`);
}

export interface CalibratedCheck {
  /** Options of `createModel` besides `pretrained` (numClasses, imageSize, transformInput, …). */
  model: Omit<CreateModelOptions, 'pretrained'>;
  /** Further checks on the loaded model in eval mode, with the exported tensors. */
  more?: (model: ImageClassifier, io: Record<string, Tensor>) => void;
}

/**
 * Creates `name` from the exported weights, checks the parameter count, the eval output and
 * (when exported) the embedding, runs `more`, and checks that no tensor was left alive.
 * Returns the output's max error and scale.
 */
export async function checkCalibrated(run: ExportRun, name: string, check: CalibratedCheck): Promise<{ error: number; scale: number }> {
  const files = await run.ready(name);
  const before = liveTensors();
  try {
    const model = createModel(name, { ...check.model, pretrained: files.weights });
    let result = { error: 0, scale: 0 };
    try {
      model.eval();
      scope(() => {
        const { tensors: io, metadata } = loadSafetensors(files.io);
        assert.equal(model.numParameters(), Number(metadata.num_params), 'parameter count');
        assertInputDependent(io.output!);
        const embedding = noGrad(() => model.forwardEmbedding(io.input!));
        if (io.embedding) assertParity(embedding, io.embedding, `${name} embedding vs torchvision`);
        // forward is forwardHead(forwardEmbedding(x)); checked whole, as users call it.
        result = {
          error: assertParity(
            noGrad(() => model.forward(io.input!)),
            io.output!,
            `${name} vs torchvision`,
          ),
          scale: io.output!.abs().max().item(),
        };
        check.more?.(model, io);
      });
    } finally {
      model.dispose();
    }
    assert.equal(liveTensors(), before, `${name}: tensors left alive`);
    return result;
  } finally {
    run.done(name);
  }
}
