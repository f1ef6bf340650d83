/**
 * Static int8 quantisation in the QDQ format: every convolution and matrix product reads
 * its activation through QuantizeLinear → DequantizeLinear (uint8, asymmetric, one scale per
 * tensor, calibrated) and its weight through DequantizeLinear of an int8 copy (symmetric,
 * one scale per output channel), its bias through DequantizeLinear of int32 at scale
 * s_input·s_weight; its output is quantised too, except where it is a graph output (the
 * logits stay float, as the open-world scores want them). ONNX Runtime fuses these patterns
 * into its integer kernels (QLinearConv, QLinearMatMul, QGemm — float-output for the head).
 * A ReLU (or ReLU6) right after a convolution is absorbed into the output's quantisation range, as ONNX Runtime's own quantiser does:
 * zero point 0 clamps at 0 exactly as ReLU, and the top is the calibrated range's, capped at
 * 6 for ReLU6. Not 6 itself: most ReLU6 outputs of a trained mobilenet_v2 stay far below it,
 * and a fixed [0, 6] spent the 256 levels on values never seen (cub100: int8 85.50% against
 * fp32 86.90% with [0, 6], 86.60% with the calibrated top; bench/export-int8).
 *
 * Calibration runs the float graph with ONNX Runtime on the given batches and records each
 * quantised tensor's range: 'minmax' (the extremes seen) or 'percentile' (the 0.01% tails
 * of each batch dropped, averaged over batches).
 *
 * @example
 *   const int8 = await quantizeGraphInt8(graph, await calibrationBatches('train/', { count: 128, preprocessing }));
 */
import { onnxRuntime } from '../onnx-runtime.js';
import type { GraphNode, OnnxGraph } from '../onnx-graph.js';
import { encodeOnnxModel } from '../onnx-write.js';
import { INPUT_NAME } from '../trace-to-onnx.js';
import type { CalibrationBatch } from './calibration-images.js';

export type CalibrationMethod = 'minmax' | 'percentile';

export interface QuantizeOptions {
  /** How activation ranges are chosen (default 'percentile'). */
  method?: CalibrationMethod;
  /** Percentile kept with 'percentile' (default 99.99). */
  percentile?: number;
}

interface Range {
  lo: number;
  hi: number;
}

const TARGETS = new Set(['Conv', 'Gemm', 'MatMul']);

/** An Identity that names a graph output (logits, embedding): it reads float values. */
const namesGraphOutput = (node: GraphNode, outputs: ReadonlySet<string>) => node.opType === 'Identity' && node.outputs.some((o) => outputs.has(o));

// An activation after a target whose effect the output quantisation can carry exactly.
function absorbable(node: GraphNode, graph: OnnxGraph): Range | null {
  if (node.opType === 'Relu') return { lo: 0, hi: Infinity };
  if (node.opType === 'Clip') {
    const lo = graph.initializers.get(node.inputs[1] ?? '')?.data[0];
    const hi = graph.initializers.get(node.inputs[2] ?? '')?.data[0];
    if (lo === 0 && typeof hi === 'number') return { lo: 0, hi };
  }
  return null;
}

/** The tensors to quantise and the activations to absorb. */
function plan(graph: OnnxGraph) {
  const consumers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  // Tensors an Identity names as a graph output (logits, embedding): their producer's output stays
  // float, so the head's product fuses into a float-output QGemm (with a Q beside the Identity,
  // ONNX Runtime cannot fuse it, and runs its weight's DequantizeLinear on every pass).
  const named = new Set(graph.nodes.filter((n) => namesGraphOutput(n, outputs)).map((n) => n.inputs[0]!));
  const activations = new Set<string>();
  const absorbed = new Map<GraphNode, Range>(); // activation node -> its fixed range bounds
  for (const n of graph.nodes) {
    if (!TARGETS.has(n.opType)) continue;
    const weightConst = graph.initializers.has(n.inputs[1]!);
    if (n.opType === 'Gemm' && (n.attributes.transB !== 1 || !weightConst || n.attributes.transA)) continue;
    activations.add(n.inputs[0]!);
    if (!weightConst) activations.add(n.inputs[1]!);
    const out = n.outputs[0]!;
    const next = consumers.get(out) ?? [];
    const act = next.length === 1 && !outputs.has(out) ? absorbable(next[0]!, graph) : null;
    if (act) {
      absorbed.set(next[0]!, act);
      activations.add(next[0]!.outputs[0]!);
    } else if (!outputs.has(out) && !named.has(out)) activations.add(out);
  }
  // A global average pool of a quantised tensor is quantised too (QLinearGlobalAveragePool): ONNX
  // Runtime then keeps the last feature map in its NHWC layout instead of transposing it back
  // to float NCHW (mobilenet_v2: 0.15 ms of a 3.5 ms pass at batch 1, 1.9 of 29 ms at 16).
  for (const n of graph.nodes) if (n.opType === 'GlobalAveragePool' && activations.has(n.inputs[0]!)) activations.add(n.outputs[0]!);
  activations.delete(''); // no optional inputs
  for (const a of activations) if (graph.initializers.has(a)) activations.delete(a);
  return { activations, absorbed };
}

function percentileOf(data: Float32Array, p: number): Range {
  // The tails beyond p (and 100 - p) of one batch, from a bounded sample for speed.
  const stride = Math.max(1, Math.floor(data.length / 200_000));
  const sample = new Float32Array(Math.ceil(data.length / stride));
  for (let i = 0, j = 0; i < data.length; i += stride, j++) sample[j] = data[i]!;
  sample.sort();
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round((q / 100) * (sample.length - 1))))]!;
  return { lo: at(100 - p), hi: at(p) };
}

async function calibrate(graph: OnnxGraph, names: string[], batches: CalibrationBatch[], options: QuantizeOptions): Promise<Map<string, Range>> {
  const ort = await onnxRuntime();
  const probe = graph.clone();
  for (const name of names) if (!probe.outputs.some((o) => o.name === name)) probe.outputs.push({ name, dtype: 'float32', dims: null });
  const session = await ort.InferenceSession.create(encodeOnnxModel(probe), { graphOptimizationLevel: 'basic' });
  const sums = new Map<string, Range>();
  const method = options.method ?? 'percentile';
  try {
    for (const b of batches) {
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', b.data, b.dims) }, names);
      for (const name of names) {
        const data = out[name]!.data as Float32Array;
        let r: Range;
        if (method === 'minmax') {
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = 0; i < data.length; i++) {
            const v = data[i]!;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          r = { lo, hi };
        } else r = percentileOf(data, options.percentile ?? 99.99);
        const prev = sums.get(name);
        if (!prev) sums.set(name, r);
        else if (method === 'minmax') sums.set(name, { lo: Math.min(prev.lo, r.lo), hi: Math.max(prev.hi, r.hi) });
        else sums.set(name, { lo: prev.lo + r.lo, hi: prev.hi + r.hi });
      }
    }
  } finally {
    await session.release();
  }
  if (method === 'percentile') for (const [k, r] of sums) sums.set(k, { lo: r.lo / batches.length, hi: r.hi / batches.length });
  return sums;
}

// uint8 asymmetric parameters covering [lo, hi] and 0.
function uint8Params(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(r.lo, 0);
  const hi = Math.max(r.hi, 0);
  const scale = hi - lo > 1e-12 ? (hi - lo) / 255 : 1e-8;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/** Returns a quantised copy of `graph` (the original is unchanged). */
export async function quantizeGraphInt8(graph: OnnxGraph, batches: CalibrationBatch[], options: QuantizeOptions = {}): Promise<OnnxGraph> {
  if (batches.length === 0) throw new Error('int8 quantisation needs at least one calibration batch');
  const { activations, absorbed } = plan(graph);
  const names = [...activations];
  const ranges = await calibrate(graph, names, batches, options);
  const g = graph.clone();
  const actScale = new Map<string, number>();
  const dq = new Map<string, string>(); // activation -> its dequantised name
  const qdqNodes = (name: string, r: Range): GraphNode[] => {
    const { scale, zeroPoint } = uint8Params(r);
    actScale.set(name, scale);
    const s = g.float([scale]);
    const zp = g.initializer(g.fresh(`${name}_zp`), [], Uint8Array.of(zeroPoint), 'uint8');
    const q = g.fresh(`${name}_q`);
    const d = g.fresh(`${name}_dq`);
    dq.set(name, d);
    actScale.set(d, scale);
    return [
      { opType: 'QuantizeLinear', inputs: [name, s, zp], outputs: [q], attributes: {}, name: g.fresh('QuantizeLinear') },
      { opType: 'DequantizeLinear', inputs: [q, s, zp], outputs: [d], attributes: {}, name: g.fresh('DequantizeLinear') },
    ];
  };
  const nodes: GraphNode[] = [];
  const renamed = new Map<string, string>(); // quantised tensor (or absorbed activation output) -> its dequantised value
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const absorbedOutputs = new Set<string>();
  if (activations.has(INPUT_NAME)) {
    nodes.push(...qdqNodes(INPUT_NAME, ranges.get(INPUT_NAME)!));
    renamed.set(INPUT_NAME, dq.get(INPUT_NAME)!);
  }
  for (let k = 0; k < g.nodes.length; k++) {
    const node = g.nodes[k]!;
    // Consumers read the dequantised value (the QDQ format ONNX Runtime fuses), except the
    // Identity nodes that name graph outputs, which stay float — unless what they name was an
    // absorbed activation's output, which no longer exists: they read its dequantised value.
    const namesOutput = namesGraphOutput(node, graphOutputs);
    node.inputs = node.inputs.map((i) => (namesOutput && !absorbedOutputs.has(i) ? i : (renamed.get(i) ?? i)));
    const bounds = absorbed.get(graph.nodes[k]!); // the clone keeps the original's order
    if (bounds) {
      // The activation disappears: its output range quantises the convolution's output.
      const out = node.outputs[0]!;
      const r = ranges.get(out)!;
      const q = qdqNodes(node.inputs[0]!, { lo: 0, hi: Math.min(bounds.hi, r.hi) });
      nodes.push(...q);
      renamed.set(out, dq.get(node.inputs[0]!)!);
      absorbedOutputs.add(out);
      continue;
    }
    if (TARGETS.has(node.opType)) quantizeTarget(g, node, dq, actScale, nodes);
    nodes.push(node);
    for (const o of node.outputs) {
      if (!activations.has(o) || !ranges.has(o)) continue;
      nodes.push(...qdqNodes(o, ranges.get(o)!));
      renamed.set(o, dq.get(o)!);
    }
  }
  for (const o of g.outputs) if (absorbedOutputs.has(o.name)) throw new Error(`int8: graph output ${o.name} was absorbed`);
  g.nodes = nodes;
  g.pruneInitializers();
  return g;
}

// Rewires a Conv/Gemm/MatMul to read dequantised activations and int8 weights.
function quantizeTarget(g: OnnxGraph, node: GraphNode, dq: Map<string, string>, actScale: Map<string, number>, out: GraphNode[]): void {
  const x = node.inputs[0]!;
  const xScale = actScale.get(x);
  const wName = node.inputs[1]!;
  const w = g.initializers.get(wName);
  if (dq.has(x)) node.inputs[0] = dq.get(x)!;
  if (!w) {
    if (dq.has(wName)) node.inputs[1] = dq.get(wName)!;
    return;
  }
  if (w.dtype !== 'float32' || xScale === undefined) return;
  const data = w.data as Float32Array;
  // Per output channel: axis 0 of a Conv weight [O, ...] and of Gemm's transposed B [O, I]; axis 1 of MatMul's B [I, O].
  const axis = node.opType === 'MatMul' ? w.dims.length - 1 : 0;
  const channels = w.dims[axis]!;
  const inner = w.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const scales = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    scales[c] = Math.max(scales[c]!, Math.abs(data[i]!));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scales[Math.floor(i / inner) % channels]!)));
  const qName = g.initializer(`${wName}_int8`, w.dims, q, 'int8');
  const sName = g.initializer(`${wName}_scale`, [channels], scales);
  const zName = g.initializer(`${wName}_zp`, [channels], new Int8Array(channels), 'int8');
  const wDq = g.fresh(`${wName}_dq`);
  out.push({ opType: 'DequantizeLinear', inputs: [qName, sName, zName], outputs: [wDq], attributes: { axis }, name: g.fresh('DequantizeLinear') });
  node.inputs[1] = wDq;
  const bName = node.inputs[2];
  const b = bName ? g.initializers.get(bName) : undefined;
  if (bName && b && b.dtype === 'float32' && node.opType !== 'MatMul') {
    const bias = b.data as Float32Array;
    const bScales = Float32Array.from(scales, (s) => s * xScale);
    const bq = Int32Array.from(bias, (v, c) => Math.round(v / bScales[c]!));
    const bq32 = g.initializer(`${bName}_int32`, b.dims, bq, 'int32');
    const bs = g.initializer(`${bName}_scale`, [bScales.length], bScales);
    const bz = g.initializer(`${bName}_zp`, [bScales.length], new Int32Array(bScales.length), 'int32');
    const bDq = g.fresh(`${bName}_dq`);
    out.push({ opType: 'DequantizeLinear', inputs: [bq32, bs, bz], outputs: [bDq], attributes: { axis: 0 }, name: g.fresh('DequantizeLinear') });
    node.inputs[2] = bDq;
  }
}
