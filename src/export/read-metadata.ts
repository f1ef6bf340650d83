/**
 * Reading an ONNX file's `metadata_props` (ONNX Runtime's JavaScript API does not expose
 * them): the model is decoded with the `onnx-proto` schema and only the key/value pairs kept.
 *
 * @example
 *   const props = readOnnxMetadataProps('model.onnx');
 *   parseExportMetadata(props).classes;
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The metadata_props of an ONNX file (or of its bytes) as a plain object. */
export function readOnnxMetadataProps(file: string | Uint8Array): Record<string, string> {
  const bytes = typeof file === 'string' ? readFileSync(file) : file;
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}
