/**
 * ONNX model files read as data (nodes, initialisers, inputs, outputs) and the int8
 * quantisation arithmetic needed to turn quantised initialisers back into float weights.
 * Importers (e.g. `importMobileNetV2Onnx`) build on these.
 *
 * @example
 *   import { readOnnx, dequantizeLinear } from 'finegrain';
 *   const model = readOnnx('model.onnx');
 *
 * @module
 */
export { readOnnx, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxValueInfo } from './read.js';
export { decodeOnnxTensor, onnxDtype, onnxTensorToTensor, type LongLike, type OnnxTensor, type TensorProtoLike } from './tensor.js';
export { dequantizeLinear, type DequantizeOptions } from './quantize.js';
