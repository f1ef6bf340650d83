/**
 * Export a trained checkpoint to ONNX (logits and embedding outputs, dynamic batch) and write
 * the .onnx file; ONNX Runtime, Triton or the browser can run it without libtorch.
 *
 *   node build/examples/export-onnx.js runs/birds/checkpoints/best.safetensors birds.onnx
 */
import { writeFileSync } from 'node:fs';
import { encodeOnnxModel, exportOnnx, loadModelFromCheckpoint } from 'finegrain';

const [checkpoint, out] = process.argv.slice(2);
if (!checkpoint || !out) throw new Error('usage: export-onnx.js CHECKPOINT OUT.onnx');

const { model, preprocess } = loadModelFromCheckpoint(checkpoint);
try {
  const graph = exportOnnx(model, { imageSize: preprocess.inputSize });
  const bytes = encodeOnnxModel(graph);
  writeFileSync(out, bytes);
  console.log(`wrote ${out}: ${(bytes.byteLength / 1e6).toFixed(1)} MB`);
} finally {
  model.dispose();
}
