/**
 * Folds an eval-mode BatchNormalization into the convolution before it, in an ONNX graph (the
 * graph-side twin of src/nn/fold-batch-norm.ts; the arithmetic of both is
 * src/nn/folded-conv-parameters.ts): the convolution gets the folded weight and bias, the same
 * affine map computed once at export instead of at every inference. Done only where exact:
 * the convolution's output feeds nothing but the batch norm, and every parameter is a
 * constant.
 *
 * @example
 *   foldBatchNorm(graph); // Conv → BatchNormalization pairs become one Conv
 */
import { foldedConvParameters } from '../nn/folded-conv-parameters.js';
import { fromTypedArray } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { GraphNode, OnnxGraph } from './onnx-graph.js';
import { FloatAttr } from './onnx-graph.js';

function floats(graph: OnnxGraph, name: string): Float32Array | null {
  const init = graph.initializers.get(name);
  return init && init.dtype === 'float32' ? (init.data as Float32Array) : null;
}

/** Rewrites `graph` in place; returns how many batch norms were folded. */
export function foldBatchNorm(graph: OnnxGraph): number {
  const consumers = graph.consumers();
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const removed = new Set<GraphNode>();
  let folded = 0;
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.outputs.length !== 1) continue;
    const conv = producer.get(bn.inputs[0]!);
    if (!conv || conv.opType !== 'Conv' || consumers.get(conv.outputs[0]!) !== 1) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => floats(graph, n));
    const weightName = conv.inputs[1]!;
    const w = floats(graph, weightName);
    const bias = conv.inputs[2] ? floats(graph, conv.inputs[2]) : null;
    if (!gamma || !beta || !mean || !variance || !w || (conv.inputs[2] && !bias)) continue;
    const eps = (bn.attributes.epsilon as FloatAttr | undefined)?.value ?? 1e-5;
    const cOut = gamma.length;
    const dims = graph.initializers.get(weightName)!.dims;
    const { newW, newB } = scope(() => {
      const vector = (v: Float32Array) => fromTypedArray(v, [v.length]);
      const folded = foldedConvParameters(fromTypedArray(w, dims), bias ? vector(bias) : null, {
        mean: vector(mean),
        variance: vector(variance),
        eps,
        weight: vector(gamma),
        bias: vector(beta),
      });
      try {
        return { newW: folded.weight.toTypedArray() as Float32Array, newB: folded.bias.toTypedArray() as Float32Array };
      } finally {
        folded.weight.dispose();
        folded.bias.dispose();
      }
    });
    const shared = (consumers.get(weightName) ?? 0) > 1;
    const wOut = shared ? graph.fresh(`${weightName}_folded`) : weightName;
    const bOut =
      graph.initializers.has(weightName.replace(/weight$/, 'bias')) || !weightName.endsWith('weight')
        ? graph.fresh(`${weightName}_folded_bias`)
        : weightName.replace(/weight$/, 'bias');
    graph.initializer(wOut, dims, newW);
    graph.initializer(bOut, [cOut], newB);
    conv.inputs = [conv.inputs[0]!, wOut, bOut];
    conv.outputs = [...bn.outputs];
    removed.add(bn);
    folded++;
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  graph.pruneInitializers();
  return folded;
}
