/**
 * ImageNet conventions the pretrained weights were trained with: the per-channel mean and
 * standard deviation every torchvision model expects its input normalised by, and the
 * class names.
 *
 * @example
 *   const x = normalizeImageNet(batchU8);                 // uint8 [N, 3, 224, 224] -> float32
 *   const labels = readImageNetLabels('../shared/weights/imagenet_labels.txt');
 *   labels[model.forward(x).argmax(1).item()];            // 'goldfinch, Carduelis carduelis'
 */
import { readFileSync } from 'node:fs';
import { scope, tensor, type Tensor } from '../../tensor/index.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../preprocess-config.js';

export { IMAGENET_MEAN, IMAGENET_STD };

/**
 * `(x / 255 - mean) / std` per channel: a uint8 [N, 3, H, W] (or [3, H, W]) image batch to
 * the float32 input of an ImageNet-pretrained model, as torchvision's
 * `ToTensor()` + `Normalize(IMAGENET_MEAN, IMAGENET_STD)`. Float input is taken to be in
 * [0, 1] already.
 *
 * @example
 *   const x = normalizeImageNet(batch);   // batch: uint8 [32, 3, 224, 224]
 */
export function normalizeImageNet(images: Tensor): Tensor {
  if (images.ndim !== 3 && images.ndim !== 4) throw new Error(`normalizeImageNet: expected [N, 3, H, W] or [3, H, W], got [${images.shape}]`);
  const c = images.shape[images.ndim - 3];
  if (c !== 3) throw new Error(`normalizeImageNet: expected 3 channels, got ${c}`);
  return scope(() => {
    const shape = images.ndim === 4 ? [1, 3, 1, 1] : [3, 1, 1];
    const mean = tensor([...IMAGENET_MEAN], { device: images.device }).reshape(shape);
    const std = tensor([...IMAGENET_STD], { device: images.device }).reshape(shape);
    const x = images.dtype === 'uint8' ? images.to({ dtype: 'float32' }).div(255) : images.to({ dtype: 'float32' });
    return x.sub(mean).div(std);
  });
}

/**
 * Class names, one per line, as a list indexed by the model's output. TensorFlow's list
 * (and the one in ../shared/weights) has 1001 lines with 'background' first, for models with
 * a background logit; for a model with `numClasses` outputs (1000 for torchvision's and the
 * ONNX Model Zoo's MobileNetV2) that first line is dropped. Each name is the line as written
 * ('goldfinch, Carduelis carduelis'): its first comma-separated part is the short name.
 *
 * @example
 *   const labels = readImageNetLabels('../shared/weights/imagenet_labels.txt');   // 1000 names
 *   labels[11];   // 'goldfinch, Carduelis carduelis'
 */
export function readImageNetLabels(path: string, numClasses = 1000): string[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === numClasses) return lines;
  if (lines.length === numClasses + 1 && lines[0]!.trim().toLowerCase() === 'background') return lines.slice(1);
  throw new Error(
    `${path}: ${lines.length} labels do not fit a model with ${numClasses} classes (expected ${numClasses}, or ${numClasses + 1} with 'background' first)`,
  );
}
