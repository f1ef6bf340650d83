/**
 * Reading an ONNX model file into plain data: the graph's nodes (operator, inputs, outputs,
 * attributes), its initialisers (weights, decoded to typed arrays) and its inputs and outputs.
 * The protobuf schema is the ONNX project's own, compiled for protobufjs by the `onnx-proto`
 * package, so no `.proto` handling lives here. This is a reader for importing weights, not
 * an ONNX runtime: what the nodes compute is left to the importer that maps them.
 *
 * @example
 *   const model = readOnnx('../shared/weights/mobilenetv2-12-int8.onnx');
 *   model.nodes.filter((n) => n.opType === 'QLinearConv').length;   // 52
 *   model.initializers.get('475_quantized')!.dims;                   // [32, 3, 3, 3]
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { decodeOnnxTensor, toNumber, type LongLike, type OnnxTensor } from './tensor.js';

const { onnx } = onnxProto;

/** An attribute value: ints and floats as numbers, strings decoded, tensors decoded. */
export type OnnxAttribute = number | string | number[] | string[] | OnnxTensor | OnnxTensor[] | null;

/** One operator of the graph, as the file stores it. */
export interface OnnxNode {
  /** The operator ('Conv', 'QLinearConv', 'Relu', ...). */
  readonly opType: string;
  /** The operator's domain ('' is the default ai.onnx; 'com.microsoft' for contrib operators). */
  readonly domain: string;
  /** The node's name in the file (may be empty; ONNX does not require names). */
  readonly name: string;
  /** Value names, in the operator's input order ('' marks an omitted optional input). */
  readonly inputs: string[];
  /** The names of the values it produces, in the operator's output order. */
  readonly outputs: string[];
  /** The operator's attributes by name (kernel_shape, strides, ...), decoded. */
  readonly attributes: Record<string, OnnxAttribute>;
}

/** A graph input or output: name, element type code and dims (a string for symbolic ones). */
export interface OnnxValueInfo {
  /** The value's name, as nodes refer to it. */
  readonly name: string;
  /** The ONNX element-type code (`TensorProto.DataType`: 1 float32, 7 int64, ...; `onnxDtype` maps it). */
  readonly elemType: number;
  /** The shape: a number per fixed dimension, the parameter name ('batch', 'N') of a symbolic one. */
  readonly dims: (number | string)[];
}

/** An ONNX model file as plain data, as `readOnnx` returns it. */
export interface OnnxModel {
  /** The ONNX IR version the file was written with. */
  readonly irVersion: number;
  /** The tool that wrote the file, with its version ('pytorch 2.1.0', 'onnx.quantize 0.1.0'). */
  readonly producer: string;
  /** Operator-set versions by domain ('' is ai.onnx). */
  readonly opsets: Record<string, number>;
  /** Nodes in the file's order (which ONNX requires to be topological). */
  readonly nodes: OnnxNode[];
  /** Initialisers (constant tensors) by name. */
  readonly initializers: Map<string, OnnxTensor>;
  /** Graph inputs that are not initialisers: what a caller feeds. */
  readonly inputs: OnnxValueInfo[];
  /** The graph's outputs, in order. */
  readonly outputs: OnnxValueInfo[];
}

const text = new TextDecoder();

// AttributeProto.AttributeType codes.
const enum AttrType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
}

function attributeValue(a: onnxProto.onnx.IAttributeProto): OnnxAttribute {
  switch (a.type as number) {
    case AttrType.FLOAT:
      return a.f ?? 0;
    case AttrType.INT:
      return toNumber((a.i ?? 0) as LongLike);
    case AttrType.STRING:
      return text.decode(a.s ?? new Uint8Array());
    case AttrType.TENSOR:
      return a.t ? decodeOnnxTensor(a.t) : null;
    case AttrType.FLOATS:
      return [...(a.floats ?? [])];
    case AttrType.INTS:
      return (a.ints ?? []).map((v) => toNumber(v as LongLike));
    case AttrType.STRINGS:
      return (a.strings ?? []).map((s) => text.decode(s));
    case AttrType.TENSORS:
      return (a.tensors ?? []).map(decodeOnnxTensor);
    // Graphs and sparse tensors (control flow, sparse weights) are not needed by importers.
    default:
      return null;
  }
}

function valueInfo(v: onnxProto.onnx.IValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber((d.dimValue ?? 0) as LongLike)));
  return { name: v.name ?? '', elemType: t?.elemType ?? 0, dims };
}

/**
 * Parses an ONNX model from a file path or from its bytes. Malformed protobuf throws with
 * protobufjs's message; a file without a graph throws too.
 *
 * @example
 *   const { nodes, initializers, outputs } = readOnnx('model.onnx');
 *   outputs[0].dims;   // ['batch_size', 1000]
 */
export function readOnnx(source: string | Uint8Array): OnnxModel {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const where = typeof source === 'string' ? ` ${source}` : '';
    throw new Error(`not a valid ONNX model${where}: ${(e as Error).message}`, { cause: e });
  }
  const g = model.graph;
  if (!g) throw new Error(`ONNX model${typeof source === 'string' ? ` ${source}` : ''} has no graph`);
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', decodeOnnxTensor(t));
  const nodes: OnnxNode[] = (g.node ?? []).map((n) => ({
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    name: n.name ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', attributeValue(a)])),
  }));
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain ?? ''] = toNumber(o.version as LongLike);
  return {
    irVersion: toNumber((model.irVersion ?? 0) as LongLike),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets,
    nodes,
    initializers,
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
  };
}
