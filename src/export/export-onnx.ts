/**
 * `exportOnnx(model, options)`: any model of the zoo as an ONNX graph with a dynamic batch
 * axis and two outputs, `logits` [batch, classes] and `embedding` [batch, features] (the
 * pooled embedding of `forwardEmbedding`). The forward pass is traced at the ATen level at
 * two batch sizes (trace.ts, batch-dims.ts), mapped operator by operator (ops/), and
 * batch norms are folded into their convolutions. No model has a hand-written graph.
 *
 * @example
 *   const model = createModel('resnet50', { numClasses: 200 });
 *   const graph = exportOnnx(model, { imageSize: 224 });
 *   writeOnnxFile('resnet50.onnx', graph, exportMetadata({ model: 'resnet50', classes, preprocessing: defaultPreprocessing(224), calibration: null }));
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Module } from '../nn/module.js';
import { randn } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import type { OnnxGraph } from './onnx-graph.js';
import { traceForward, type Trace } from './trace.js';
import { traceToOnnx } from './trace-to-onnx.js';

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** Height and width the graph takes (default: the model's defaultInputSize). */
  imageSize?: number | [number, number];
  /** Fold BatchNormalization into the convolution before it (default true). */
  foldBatchNorm?: boolean;
}

/** The output names, in order. */
export const OUTPUT_NAMES = ['logits', 'embedding'] as const;

// Two batch sizes that no architecture dim is likely to equal by chance (see batch-dims.ts).
const BATCH_A = 2;
const BATCH_B = 3;

function traceAt(model: ImageClassifier, batch: number, h: number, w: number, captureData: boolean): Trace {
  return scope(() =>
    traceForward(
      model as Module,
      randn([batch, model.defaultInputSize[0], h, w]),
      (m, x) => {
        const classifier = m as ImageClassifier;
        const embedding = classifier.forwardEmbedding(x);
        const logits = classifier.forwardHead(embedding);
        return [logits, embedding] as Tensor[];
      },
      { captureData },
    ),
  );
}

/**
 * Traces and converts `model` (switched to eval mode; weights must be float32 on the CPU).
 * The graph reads the model's weights in place: write it (writeOnnxFile, encodeOnnxModel)
 * before disposing or changing the model.
 */
export function exportOnnx(model: ImageClassifier, options: ExportOnnxOptions = {}): OnnxGraph {
  const size = options.imageSize ?? [model.defaultInputSize[1], model.defaultInputSize[2]];
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  for (const [name, t] of model.stateEntries()) {
    if (t.device !== 'cpu') throw new Error(`exportOnnx: '${name}' is on ${t.device}; move the model to the CPU first`);
    if (t.dtype !== 'float32' && t.dtype !== 'int64')
      throw new Error(`exportOnnx: '${name}' is ${t.dtype}; export float32 weights (model.to({ dtype: 'float32' }))`);
  }
  const wasTraining = model.training;
  model.eval();
  try {
    const [a, b] = noGrad(() => [traceAt(model, BATCH_A, h, w, true), traceAt(model, BATCH_B, h, w, false)]);
    const graph = traceToOnnx(a!, b!, BATCH_A, BATCH_B, OUTPUT_NAMES);
    if (options.foldBatchNorm ?? true) foldBatchNorm(graph);
    graph.pruneInitializers();
    return graph;
  } finally {
    model.train(wasTraining);
  }
}
