/**
 * A Triton Inference Server model repository for an exported graph:
 *
 *   <out>/<name>/config.pbtxt    platform onnxruntime_onnx, max_batch_size, dynamic batching,
 *                                input/output names and dims (without the batch dim, which
 *                                Triton adds when max_batch_size > 0), label_filename
 *   <out>/<name>/1/model.onnx    the model (version 1; weights over 1.5 GiB beside it as model.onnx.data)
 *   <out>/<name>/labels.txt      one class name per line, in logit order (Triton's classification extension)
 *
 * @example
 *   writeTritonRepository('model_repository', { graph, metadata, name: 'birds', classes, maxBatchSize: 16, maxQueueDelayMicroseconds: 2000 });
 *   // tritonserver --model-repository=model_repository
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphValueInfo, OnnxGraph } from './onnx-graph.js';
import { writeOnnxFile } from './onnx-write.js';

export interface TritonRepositoryOptions {
  graph: OnnxGraph;
  metadata: Record<string, string>;
  /** Model name: the folder and the name clients address (letters, digits, '_', '-', '.'). */
  name: string;
  classes: readonly string[];
  /** Largest batch Triton forms (dynamic batching) or accepts. */
  maxBatchSize: number;
  /** How long a request may wait for others to batch with. */
  maxQueueDelayMicroseconds: number;
}

const TRITON_TYPE: Record<string, string> = {
  float32: 'TYPE_FP32',
  float16: 'TYPE_FP16',
  int64: 'TYPE_INT64',
  int32: 'TYPE_INT32',
  uint8: 'TYPE_UINT8',
  int8: 'TYPE_INT8',
  bool: 'TYPE_BOOL',
};

function tensorConfig(v: GraphValueInfo, extra = ''): string {
  if (!v.dims) throw new Error(`Triton export: '${v.name}' has no shape`);
  const [batch, ...rest] = v.dims;
  if (batch !== 'batch') throw new Error(`Triton export: '${v.name}' has no leading batch dim (dims [${v.dims}])`);
  if (rest.some((d) => typeof d !== 'number')) throw new Error(`Triton export: '${v.name}' has dynamic dims besides the batch`);
  const type = TRITON_TYPE[v.dtype];
  if (!type) throw new Error(`Triton export: no Triton type for ${v.dtype}`);
  return `  {\n    name: "${v.name}"\n    data_type: ${type}\n    dims: [ ${rest.join(', ')} ]${extra}\n  }`;
}

/** The config.pbtxt text (protobuf text format of Triton's ModelConfig). */
export function tritonConfig(graph: OnnxGraph, options: Omit<TritonRepositoryOptions, 'graph' | 'metadata' | 'classes'>): string {
  const inputs = graph.inputs.map((v) => tensorConfig(v));
  const outputs = graph.outputs.map((v) => tensorConfig(v, v.name === 'logits' ? '\n    label_filename: "labels.txt"' : ''));
  return [
    `name: "${options.name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${options.maxBatchSize}`,
    `input [\n${inputs.join(',\n')}\n]`,
    `output [\n${outputs.join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${options.maxQueueDelayMicroseconds}\n}`,
    '',
  ].join('\n');
}

/** Writes the repository; returns the files written. */
export function writeTritonRepository(out: string, options: TritonRepositoryOptions): string[] {
  if (!/^[A-Za-z0-9_.-]+$/.test(options.name)) throw new Error(`Triton model name must be letters, digits, '_', '-' or '.', got '${options.name}'`);
  if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1)
    throw new RangeError(`maxBatchSize must be a positive integer, got ${options.maxBatchSize}`);
  if (options.classes.some((c) => /[\r\n]/.test(c))) throw new Error('Triton labels.txt holds one class per line: a class name contains a line break');
  const dir = join(out, options.name);
  mkdirSync(join(dir, '1'), { recursive: true });
  const configPath = join(dir, 'config.pbtxt');
  writeFileSync(configPath, tritonConfig(options.graph, options));
  const labelsPath = join(dir, 'labels.txt');
  writeFileSync(labelsPath, `${options.classes.join('\n')}\n`);
  const model = writeOnnxFile(join(dir, '1', 'model.onnx'), options.graph, options.metadata);
  return [configPath, labelsPath, ...model];
}
