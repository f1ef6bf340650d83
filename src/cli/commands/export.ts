/**
 * `finegrain export`: a checkpoint (or a model name with plain weights) as an ONNX model, or
 * as a Triton Inference Server model repository, optionally quantised to int8.
 *
 * @example
 *   finegrain export --checkpoint runs/birds/checkpoints/best.safetensors --out birds.onnx
 *   finegrain export --model resnet50 --weights r50.safetensors --num-classes 200 --out r50.onnx
 *   finegrain export --checkpoint best.safetensors --quantize int8 --calibration-data birds/train --out birds-int8.onnx
 *   finegrain export --checkpoint best.safetensors --format triton --out model_repository/
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { weightsArgument } from '../weights-argument.js';
import { exportOnnx } from '../../export/export-onnx.js';
import { defaultPreprocessing, exportMetadata, type ExportMetadata } from '../../export/metadata.js';
import { writeOnnxFile } from '../../export/onnx-write.js';
import { quantizeGraphInt8, type CalibrationMethod } from '../../export/quantize/quantize-int8.js';
import { calibrationBatches } from '../../export/quantize/calibration-images.js';
import { writeTritonRepository } from '../../export/triton-repository.js';
import { loadModelFromCheckpoint } from '../../models/load-checkpoint.js';
import { enrolledPath } from '../../enrollment/sidecar.js';
import { loadLibtorchModel } from '../../pipeline/libtorch-model.js';
import { replaceHead } from '../../pipeline/checkpoint-onnx.js';
import { loadCalibration } from '../../open-world/calibration.js';
import type { ImageClassifier } from '../../models/classifier.js';
import { modelInfo } from '../../models/registry.js';
import { buildWithWeights } from './forward.js';

const HELP = `usage: finegrain export (--checkpoint C | --model NAME --weights W.safetensors [--num-classes N])
                        --out PATH [options]

Exports the model (eval mode) as ONNX (opset 17): input 'input' [batch, 3, H, W] (float32,
normalised RGB), outputs 'logits' [batch, classes] and 'embedding' [batch, features], a dynamic
batch axis, batch norms folded into convolutions, and metadata_props with the classes, the
preprocessing and the calibration.

  --checkpoint FILE         a finegrain checkpoint (architecture, classes, size, normalisation from it)
  --model NAME              a registered model (finegrain models lists them), with --weights
  --weights W               state dict for --model: safetensors, a PyTorch checkpoint
                            (FILE#ENTRY for a nested one) or a name (torchvision:resnet50, hf-hub:…)
  --num-classes N           classifier outputs for --model (default: read from the weights)
  --classes FILE            class names, one per line, for --model (default: 0 .. N-1)
  --out PATH                the .onnx file (--format onnx) or the repository folder (--format triton)
  --format F                onnx | triton (default onnx)
  --image-size S            input height = width (default: the checkpoint's, else the model's default)
  --calibration FILE        open-world calibration JSON to carry in the metadata (default: the checkpoint's, if any)
  --no-ema                  the trained parameters even when the checkpoint holds EMA ones (as in eval)
  --quantize Q              none | int8: static QDQ quantisation, per-channel weights (default none)
  --calibration-data DIR    images (class folders or flat) to calibrate int8 activations on (required with int8)
  --calibration-images N    how many of them (default 128)
  --calibration-method M    minmax | percentile: activation range (default percentile, 99.99%)
  --name NAME               Triton model name (default: the architecture's name)
  --max-batch-size N        Triton max_batch_size (default 16)
  --max-queue-delay-us N    Triton dynamic batching queue delay in microseconds (default 2000)

examples:
  finegrain export --checkpoint runs/cars/checkpoints/best.safetensors --out cars.onnx
  finegrain export --checkpoint best.safetensors --quantize int8 --calibration-data cars/train --out cars-int8.onnx
  finegrain export --checkpoint best.safetensors --format triton --out model_repository/
  finegrain export --model resnet50 --weights resnet50.safetensors --num-classes 1000 --out resnet50.onnx`;

function usageError(message: string): Error {
  return Object.assign(new Error(message), { name: 'UsageError' });
}

function intOption(v: string | undefined, what: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`${what} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function oneOf<T extends string>(v: string | undefined, what: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw usageError(`${what} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

function mustBeFile(path: string, what: string): void {
  if (!existsSync(path)) throw usageError(`${what} not found: ${path}`);
  if (!statSync(path).isFile()) throw usageError(`${what} is not a file: ${path}`);
}

function readCalibration(path: string | undefined, fromCheckpoint: unknown): string | null {
  if (path) {
    mustBeFile(path, 'calibration file');
    const text = readFileSync(path, 'utf8');
    try {
      JSON.parse(text);
    } catch (e) {
      throw usageError(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    return text.trim();
  }
  if (fromCheckpoint === undefined || fromCheckpoint === null) return null;
  return typeof fromCheckpoint === 'string' ? fromCheckpoint : JSON.stringify(fromCheckpoint);
}

interface Source {
  model: ImageClassifier;
  meta: Omit<ExportMetadata, 'preprocessing' | 'calibration'> & {
    imageSize: number;
    mean?: [number, number, number];
    std?: [number, number, number];
    cropFraction?: number;
  };
  calibration: unknown;
}

async function openSource(values: Record<string, string | boolean | undefined>): Promise<Source> {
  const checkpoint = values.checkpoint as string | undefined;
  if (checkpoint) {
    if (values.model || values.weights) throw usageError('give either --checkpoint or --model with --weights, not both');
    mustBeFile(checkpoint, 'checkpoint');
    const { model, meta, preprocess } = loadModelFromCheckpoint(checkpoint, { ema: values['no-ema'] ? 'trained' : 'auto' });
    // The calibration `finegrain calibrate` stored beside the checkpoint (its JSON half: what
    // logit-only runtimes such as serve --runtime onnx can use), as the libtorch server reads it.
    const sidecar = loadCalibration(checkpoint);
    const sidecarChoseClosedForm = sidecar?.info.head?.kind === 'closed-form';
    const calibration = meta.calibration ?? sidecar?.toJSON();
    sidecar?.dispose();
    // Classes enrolled beside the checkpoint (finegrain enroll), or a calibration that chose the
    // closed-form head: exported as the model serves them, that head in place of the trained one.
    let classes = meta.classes;
    if (existsSync(enrolledPath(checkpoint)) || sidecarChoseClosedForm) {
      using served = await loadLibtorchModel(checkpoint, { precision: 'float32', device: 'cpu', ema: values['no-ema'] ? 'trained' : 'auto' });
      const head = served.closedFormHead();
      if (head) {
        replaceHead(model, head);
        classes = head.classes;
      }
    }
    return {
      model,
      meta: {
        model: meta.model,
        classes,
        imageSize: preprocess.inputSize,
        mean: preprocess.mean,
        std: preprocess.std,
        cropFraction: preprocess.cropFraction,
      },
      calibration,
    };
  }
  const name = values.model as string | undefined;
  const weights = values.weights as string | undefined;
  if (!name || !weights) throw usageError('missing --checkpoint, or --model with --weights (see finegrain export --help)');
  let inputSize: number[];
  try {
    inputSize = modelInfo(name).inputSize;
  } catch (e) {
    throw usageError((e as Error).message);
  }
  // (the weights were checked, and fetched when named, by run() before this)
  const numClasses = values['num-classes'] === undefined ? undefined : intOption(values['num-classes'] as string, '--num-classes', 0, 0);
  const model = buildWithWeights(name, weights, numClasses);
  let classes = Array.from({ length: model.numClasses }, (_, i) => String(i));
  const classFile = values.classes as string | undefined;
  if (classFile) {
    mustBeFile(classFile, 'classes file');
    classes = readFileSync(classFile, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.length > 0);
    if (classes.length !== model.numClasses) {
      model.dispose();
      throw usageError(`${classFile} lists ${classes.length} classes but the model has ${model.numClasses} outputs`);
    }
  }
  return { model, meta: { model: name, classes, imageSize: inputSize[1]! }, calibration: undefined };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      model: { type: 'string' },
      weights: { type: 'string' },
      'num-classes': { type: 'string' },
      classes: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      'image-size': { type: 'string' },
      calibration: { type: 'string' },
      'no-ema': { type: 'boolean' },
      quantize: { type: 'string' },
      'calibration-data': { type: 'string' },
      'calibration-images': { type: 'string' },
      'calibration-method': { type: 'string' },
      name: { type: 'string' },
      'max-batch-size': { type: 'string' },
      'max-queue-delay-us': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.out) throw usageError('missing --out (see finegrain export --help)');
  const format = oneOf(values.format, '--format', ['onnx', 'triton'] as const, 'onnx');
  const quantize = oneOf(values.quantize, '--quantize', ['none', 'int8'] as const, 'none');
  const method = oneOf<CalibrationMethod>(values['calibration-method'], '--calibration-method', ['minmax', 'percentile'], 'percentile');
  const calibrationImages = intOption(values['calibration-images'], '--calibration-images', 128);
  const maxBatchSize = intOption(values['max-batch-size'], '--max-batch-size', 16);
  const queueDelay = intOption(values['max-queue-delay-us'], '--max-queue-delay-us', 2000, 0);
  if (quantize === 'int8' && !values['calibration-data'])
    throw usageError('--quantize int8 needs --calibration-data DIR (training images to calibrate activations on)');
  if (values['calibration-data'] && !existsSync(values['calibration-data'])) throw usageError(`calibration data not found: ${values['calibration-data']}`);
  if (format === 'onnx' && !existsSync(dirname(resolve(values.out)))) throw usageError(`output folder does not exist: ${dirname(resolve(values.out))}`);

  const started = performance.now();
  if (typeof values.weights === 'string' && !values.checkpoint) await weightsArgument(values.weights, '--weights');
  const source = await openSource(values);
  const { model } = source;
  try {
    const imageSize = intOption(values['image-size'], '--image-size', source.meta.imageSize, 8);
    const preprocessing = { ...defaultPreprocessing(imageSize, source.meta.mean, source.meta.std), cropFraction: source.meta.cropFraction ?? 1 };
    const calibration = readCalibration(values.calibration, source.calibration);
    let graph = exportOnnx(model, { imageSize });
    if (quantize === 'int8') {
      const batches = await calibrationBatches(values['calibration-data']!, { count: calibrationImages, preprocessing });
      graph = await quantizeGraphInt8(graph, batches, { method });
    }
    const metadata = exportMetadata({
      model: source.meta.model,
      classes: source.meta.classes,
      preprocessing,
      calibration,
      embeddingSize: model.numFeatures,
      precision: quantize === 'int8' ? 'int8' : 'fp32',
    });
    const files =
      format === 'triton'
        ? writeTritonRepository(values.out, {
            graph,
            metadata,
            name: values.name ?? source.meta.model,
            classes: source.meta.classes,
            maxBatchSize,
            maxQueueDelayMicroseconds: queueDelay,
          })
        : writeOnnxFile(values.out, graph, metadata);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${source.meta.model}: ${graph.nodes.length} nodes, ${source.meta.classes.length} classes, ${imageSize}px${quantize === 'int8' ? ', int8' : ''} -> ${files.join(', ')} (${seconds} s)`,
    );
  } finally {
    model.dispose();
  }
}
