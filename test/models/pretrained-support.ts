/**
 * Test images for the pretrained MobileNetV2: CUB bird photos from ../shared/data/cub100,
 * preprocessed as torchvision's ImageNet evaluation transform (resize the shorter side to
 * 256, center crop 224, normalise), decoded with sharp. ImageNet's own photos are not
 * available here; every CUB photo shows a bird, and ImageNet has 59 bird classes, so "the
 * top predictions are birds" is a check whose expected answer nobody had to write down.
 *
 * @example
 *   const { x, files } = await birdBatch(50);   // float32 [50, 3, 224, 224]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { fromTypedArray, scope, stack, type Tensor } from '../../src/index.js';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { normalizeImageNet, sharedPath } from '../../src/models/pretrained/index.js';

const { onnx } = onnxProto;

export const ONNX_PATH = sharedPath('weights', 'mobilenetv2-12-int8.onnx');
export const LABELS_PATH = sharedPath('weights', 'imagenet_labels.txt');
export const CUB_IMAGES = sharedPath('data', 'cub100', 'images');

/** Skip reason when the shared weights (or images) are absent, e.g. on a fresh clone. */
export function sharedSkip(needImages = false): string | false {
  if (!existsSync(ONNX_PATH))
    return `${ONNX_PATH} not found: the pretrained MobileNetV2 lives in ../shared/weights beside the repository (set FINEGRAIN_SHARED to its folder)`;
  if (needImages && !existsSync(CUB_IMAGES)) return `${CUB_IMAGES} not found: the CUB bird photos live in ../shared/data/cub100`;
  return false;
}

/**
 * ImageNet's bird classes (0-based, 1000 classes): cock … great grey owl, black grouse …
 * black swan, white stork … albatross (59 classes).
 */
export function isImageNetBird(index: number): boolean {
  return (index >= 7 && index <= 24) || (index >= 80 && index <= 100) || (index >= 127 && index <= 146);
}

/**
 * `n` photos spread over the species: the first photo of every k-th species folder, then
 * the second photos, and so on (sorted names, so the set is the same on every machine).
 */
export function birdFiles(n: number): string[] {
  const species = readdirSync(CUB_IMAGES).sort();
  const perSpecies = species.map((s) =>
    readdirSync(join(CUB_IMAGES, s))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => join(CUB_IMAGES, s, f)),
  );
  const stride = Math.max(1, Math.floor(species.length / n));
  const out: string[] = [];
  for (let round = 0; out.length < n; round++) {
    let added = false;
    for (let i = 0; i < species.length && out.length < n; i += stride) {
      const f = perSpecies[i]![round];
      if (f) {
        out.push(f);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

/** One photo as uint8 [3, 224, 224]: shorter side to 256 (bilinear), center 224x224. */
export async function loadEvalImage(file: string): Promise<Tensor> {
  const meta = await sharp(file).metadata();
  const w0 = meta.width!;
  const h0 = meta.height!;
  const scale = 256 / Math.min(w0, h0);
  const w = Math.round(w0 * scale);
  const h = Math.round(h0 * scale);
  const { data } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(w, h, { kernel: 'linear', fit: 'fill' })
    .extract({ left: Math.round((w - 224) / 2), top: Math.round((h - 224) / 2), width: 224, height: 224 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return scope(() =>
    fromTypedArray(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), [224, 224, 3])
      .permute(2, 0, 1)
      .contiguous(),
  );
}

/** `n` bird photos as the normalised float32 batch [n, 3, 224, 224] a pretrained model takes. */
export async function birdBatch(n: number): Promise<{ x: Tensor; files: string[] }> {
  const files = birdFiles(n);
  const images = await Promise.all(files.map(loadEvalImage));
  const x = scope(() => normalizeImageNet(stack(images)));
  for (const im of images) im.dispose();
  return { x, files };
}

/**
 * An onnxruntime session on the ONNX file with extra graph outputs: every quantised tensor
 * the listed nodes produce (the graph is re-encoded in memory with onnx-proto), so a test
 * can compare finegrain with onnxruntime layer by layer.
 *
 * @example
 *   const sess = await sessionWithOutputs(ONNX_PATH, ['474_quantized']);
 */
export async function sessionWithOutputs(path: string, names: string[]): Promise<ort.InferenceSession> {
  const proto = onnx.ModelProto.decode(readFileSync(path));
  const graph = proto.graph!;
  const have = new Set((graph.output ?? []).map((o) => o.name));
  // Element type 2 = uint8: the activations of onnxruntime's quantiser.
  for (const name of names) if (!have.has(name)) graph.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 2 } } }));
  return ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish());
}

/** Runs a session on a finegrain float32 batch (fed as the graph's input named `input`). */
export async function runOrt(session: ort.InferenceSession, x: Tensor): Promise<Record<string, ort.Tensor>> {
  const data = x.contiguous().toTypedArray() as Float32Array;
  return (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, x.shape) })) as Record<string, ort.Tensor>;
}
