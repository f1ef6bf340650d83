/**
 * Encoding an `OnnxGraph` as an ONNX ModelProto (IR version 8, opset 17) through the ONNX
 * project's own schema compiled for protobufjs (`onnx-proto`). Graphs whose weights exceed
 * what one protobuf message may hold (2 GiB) keep them in a side file (ONNX external data,
 * `model.onnx.data`), which ONNX Runtime reads when it opens the model by path.
 *
 * @example
 *   writeOnnxFile('model.onnx', graph, { classes: '["a","b"]' });
 */
import { closeSync, openSync, writeSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';
import { FloatAttr, FloatsAttr, ONNX_ELEM_TYPE, type GraphInitializer, type GraphValueInfo, type OnnxAttrValue, type OnnxGraph } from './onnx-graph.js';

const { onnx } = onnxProto;

/** The operator set the exporter writes (ONNX 1.12, as Debian's python3-onnx checks). */
export const ONNX_OPSET = 17;
/** IR version 8 goes with opset 17. */
export const ONNX_IR_VERSION = 8;

/** Initialisers above this many bytes in total go to an external data file. */
export const EXTERNAL_DATA_THRESHOLD = 1.5 * 2 ** 30;

function attribute(name: string, v: OnnxAttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof FloatAttr) return { name, type: T.FLOAT, f: v.value };
  if (v instanceof FloatsAttr) return { name, type: T.FLOATS, floats: v.value };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.INT, i: v };
}

function elemType(dtype: GraphInitializer['dtype']): number {
  const t = ONNX_ELEM_TYPE[dtype];
  if (t === undefined) throw new TypeError(`ONNX export: no element type for ${dtype}`);
  return t;
}

function valueInfo(v: GraphValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: elemType(v.dtype),
        ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
      },
    },
  };
}

const bytesOf = (init: GraphInitializer) => new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);

/** Where external tensor data goes: the file name (relative to the model) and a sink for bytes. */
interface ExternalSink {
  location: string;
  write(bytes: Uint8Array): number; // returns the offset written at
}

function tensorProto(init: GraphInitializer, external: ExternalSink | null): onnxProto.onnx.ITensorProto {
  const base = { name: init.name, dims: init.dims, dataType: elemType(init.dtype) };
  const bytes = bytesOf(init);
  if (!external || bytes.byteLength < 1024) return { ...base, rawData: bytes };
  const offset = external.write(bytes);
  return {
    ...base,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(bytes.byteLength) },
    ],
  };
}

function modelProto(graph: OnnxGraph, metadata: Record<string, string>, external: ExternalSink | null): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    producerName: 'finegrain',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'finegrain',
      node: graph.nodes.map((n) => ({
        opType: n.opType,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, v]) => attribute(k, v)),
      })),
      initializer: [...graph.initializers.values()].map((i) => tensorProto(i, external)),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Total bytes of the graph's initialisers. */
export function initializerBytes(graph: OnnxGraph): number {
  let n = 0;
  for (const i of graph.initializers.values()) n += i.data.byteLength;
  return n;
}

/** The model as bytes, weights inline (graphs under 2 GiB). */
export function encodeOnnxModel(graph: OnnxGraph, metadata: Record<string, string> = {}): Uint8Array {
  // (the caller keeps the weights' owner alive until the bytes are used: see exportOnnx)
  if (initializerBytes(graph) > EXTERNAL_DATA_THRESHOLD)
    throw new RangeError('ONNX export: the weights exceed what one protobuf message holds; write to a file (writeOnnxFile) to keep them as external data');
  return modelProto(graph, metadata, null);
}

/**
 * Writes the model to `path` (atomically: a temporary file, then a rename). Weights over
 * `EXTERNAL_DATA_THRESHOLD` go to `<path>.data` beside it. Returns the files written.
 */
export function writeOnnxFile(path: string, graph: OnnxGraph, metadata: Record<string, string> = {}): string[] {
  const files = [path];
  let bytes: Uint8Array;
  if (initializerBytes(graph) > EXTERNAL_DATA_THRESHOLD) {
    const dataPath = `${path}.data`;
    const tmpData = `${dataPath}.tmp`;
    const fd = openSync(tmpData, 'w');
    let offset = 0;
    try {
      bytes = modelProto(graph, metadata, {
        location: basename(dataPath),
        write(chunk) {
          // ONNX Runtime maps external data in pages; aligning each tensor keeps that cheap.
          const pad = (4096 - (offset % 4096)) % 4096;
          if (pad) writeSync(fd, new Uint8Array(pad), 0, pad, offset);
          offset += pad;
          const at = offset;
          for (let done = 0; done < chunk.byteLength;) done += writeSync(fd, chunk, done, Math.min(chunk.byteLength - done, 1 << 30), at + done);
          offset += chunk.byteLength;
          return at;
        },
      });
    } finally {
      closeSync(fd);
    }
    renameSync(tmpData, dataPath);
    files.push(dataPath);
  } else {
    bytes = modelProto(graph, metadata, null);
  }
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (let done = 0; done < bytes.byteLength;) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return files;
}
