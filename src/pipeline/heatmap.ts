/**
 * An activation map as people look at it: a PNG of the photo (as decoded for the model)
 * with the map in a jet colour map blended over it, as a `data:image/png;base64,` URL that
 * a browser shows directly.
 *
 * @example
 *   const url = await heatmapDataUrl(image, map, 224);   // 'data:image/png;base64,iVBOR...'
 */
import type { RgbImage } from '../data/image.js';
import { renderOverlay } from '../infer/attention-overlay.js';

export async function heatmapDataUrl(image: RgbImage, map: Float32Array, side: number, options: { alpha?: number } = {}): Promise<string> {
  const png = await renderOverlay(image, map, side, { alpha: options.alpha ?? 0.5 });
  return `data:image/png;base64,${png.toString('base64')}`;
}
