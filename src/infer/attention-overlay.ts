/**
 * Attention-map images for people: each input image at its own size with the model's
 * attention map (the seed article's channel-mean feature map, see `attentionMaps`) laid
 * over it in a jet colour map, alpha-blended, and a caption (e.g. the predicted class) in
 * the top-left corner. `finegrain predict --attention-maps DIR` writes one per input.
 *
 * The map is computed on the image as the model sees it (the whole image squashed to the
 * model's square input), so stretching it back to the image's own width and height puts
 * every value over the pixels it came from.
 *
 * @example
 *   await writeAttentionOverlays(model, dataset, {
 *     preprocess: loaded.preprocess,
 *     outputPath: (p) => join('maps', basename(p) + '.png'),
 *     captions: new Map([[dataset.samples[0].path, 'Laysan Albatross 91.2%']]),
 *   });
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write.js';
import { dirname } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { decodeImage, ImageDecodeError } from '../data/decode/decode-image.js';
import { sharp } from '../data/decode/sharp.js';
import type { RgbImage } from '../data/image.js';
import { SkipReport } from '../data/skip-report.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/scope.js';
import type { Precision } from '../runtime/device-choice.js';
import { withPrecision } from '../evaluation/forward.js';
import { evalLoader } from '../data/loader/eval-loader.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { attentionMaps } from '../models/attention-map.js';

/**
 * The jet colour map at `v` in [0, 1]: blue (low) through cyan, yellow, to red (high).
 *
 * @example
 *   jet(0);   // [0, 0, 128]     dark blue
 *   jet(0.5); // [128, 255, 128] pale green
 *   jet(1);   // [128, 0, 0]     dark red
 */
export function jet(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  const ch = (centre: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - centre))));
  return [ch(3), ch(2), ch(1)];
}

/**
 * `image` with `map` (one byte per pixel, 0 = no attention, 255 = most, same size as the
 * image) blended over it: out = (1 - alpha) * image + alpha * jet(map).
 *
 * @example
 *   const blended = blendHeatmap(img, map, 0.5); // RgbImage, img's size
 */
export function blendHeatmap(image: RgbImage, map: Uint8Array, alpha: number): RgbImage {
  const { width, height } = image;
  if (map.length !== width * height) throw new RangeError(`blendHeatmap: map has ${map.length} values for a ${width}x${height} image`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`blendHeatmap: alpha must be in [0, 1], got ${alpha}`);
  const lut = Array.from({ length: 256 }, (_, i) => jet(i / 255));
  const out = new Uint8Array(image.data.length);
  for (let p = 0; p < map.length; p++) {
    const c = lut[map[p]!]!;
    for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round((1 - alpha) * image.data[3 * p + k]! + alpha * c[k]!);
  }
  return { data: out, width, height };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** An SVG the image's size with `text` on a dark band in the top-left corner. */
function captionSvg(text: string, width: number, height: number): Buffer {
  // About 6% of the shorter side, smaller for long labels so they fit the width; below
  // 8 px text is unreadable anyway, so the label is cut short instead.
  const charWidth = 0.62; // DejaVu Sans' average advance, in ems
  const fits = (chars: number, size: number) => (chars * charWidth + 0.6) * size <= width;
  let size = Math.max(8, Math.round(Math.min(width, height) * 0.06));
  while (size > 8 && !fits(text.length, size)) size--;
  let shown = text;
  if (!fits(shown.length, size)) {
    const chars = Math.max(1, Math.floor((width / size - 0.6) / charWidth) - 1);
    shown = text.slice(0, chars) + '\u2026';
  }
  const band = Math.min(width, Math.ceil((shown.length * charWidth + 0.6) * size));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect x="0" y="0" width="${band}" height="${Math.round(size * 1.4)}" fill="black" fill-opacity="0.6"/>` +
      `<text x="${Math.round(size * 0.3)}" y="${Math.round(size * 1.05)}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="white">${escapeXml(shown)}</text></svg>`,
  );
}

/**
 * Renders one overlay PNG: the image at full size, `map` (values in [0, 1], `side` x
 * `side`) stretched over it, and the caption.
 */
export async function renderOverlay(image: RgbImage, map: Float32Array, side: number, options: { alpha?: number; caption?: string } = {}): Promise<Buffer> {
  const { width, height } = image;
  const bytes = Uint8Array.from(map, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  const stretched = await sharp(bytes, { raw: { width: side, height: side, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0) // sharp would otherwise hand back sRGB, three channels
    .raw()
    .toBuffer();
  const blended = blendHeatmap(image, new Uint8Array(stretched.buffer, stretched.byteOffset, width * height), options.alpha ?? 0.5);
  let img = sharp(blended.data, { raw: { width, height, channels: 3 } });
  if (options.caption) {
    // Composite yields RGBA; flatten back to RGB so the PNG is the image's own kind.
    const withText = await img
      .composite([{ input: captionSvg(options.caption, width, height) }])
      .png()
      .toBuffer();
    img = sharp(withText).removeAlpha();
  }
  return img.png().toBuffer();
}

export interface OverlayOptions {
  /** How the model's inputs are prepared (its checkpoint's preprocessing). */
  preprocess: PreprocessConfig;
  /** Where each image's PNG goes (folders are created). */
  outputPath: (imagePath: string) => string;
  /** Caption per image path (e.g. the predicted class); images without one get none. */
  captions?: ReadonlyMap<string, string>;
  /** Opacity of the heat map (default 0.5). */
  alpha?: number;
  batchSize?: number;
  device?: Device;
  /**
   * The precision the model runs in (default float32); a classifier's inference copy needs its
   * own (bf16 weights under autocast, models/prepare-for-inference.ts).
   */
  precision?: Precision;
}

/**
 * Writes one overlay PNG per readable image of `ds`; unreadable images are reported in
 * the returned `skipped`, never thrown. Returns the files written.
 */
export async function writeAttentionOverlays(
  model: ImageClassifier,
  ds: ImageDataset,
  options: OverlayOptions,
): Promise<{ written: string[]; skipped: SkipReport }> {
  const side = options.preprocess.inputSize;
  const device = options.device ?? 'cpu';
  const loader = evalLoader(ds, { preprocess: options.preprocess, batchSize: options.batchSize ?? 16 });
  const skipped = new SkipReport();
  const written: string[] = [];
  model.eval();
  for await (const batch of loader.epoch(0)) {
    const paths = batch.paths;
    let maps: Float32Array;
    try {
      maps = noGrad(() =>
        scope(
          () =>
            attentionMaps(withPrecision(options.precision ?? 'float32', device, () => model.forwardFeatures(batch.images.to({ device }))).float(), [side, side])
              .cpu()
              .contiguous()
              .toTypedArray() as Float32Array,
        ),
      );
    } finally {
      batch.dispose();
    }
    for (const [j, path] of paths.entries()) {
      let image: RgbImage;
      try {
        image = await decodeImage(path); // full size: the overlay is for looking at
      } catch (e) {
        if (e instanceof ImageDecodeError) skipped.add(path, e.reason, e.message);
        else skipped.add(path, 'corrupt', String((e as Error)?.message ?? e));
        continue;
      }
      const png = await renderOverlay(image, maps.subarray(j * side * side, (j + 1) * side * side), side, {
        alpha: options.alpha,
        caption: options.captions?.get(path),
      });
      const out = options.outputPath(path);
      mkdirSync(dirname(out), { recursive: true });
      writeFileAtomic(out, png);
      written.push(out);
    }
  }
  skipped.merge(loader.decodeFailures);
  return { written, skipped };
}
