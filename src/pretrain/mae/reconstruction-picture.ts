/**
 * What a person looks at to see MAE learn: for a few fixed images and a fixed mask, a PNG with
 * one row per image and four columns — the original, the masked input (removed patches grey),
 * the reconstruction, and the reconstruction with the visible patches pasted back (the
 * reference's demo notebook shows the same four). With the normalised-pixel loss the decoder
 * predicts standardised patches; they are mapped back with each patch's own mean and variance,
 * as the notebook does.
 *
 * @example
 *   await writeReconstructionPicture('runs/mae/a/reconstructions/epoch-3.png', mae, images, { maskRatio: 0.75, normPixLoss: true, mean, std });
 */
import sharp from 'sharp';
import { scope } from '../../tensor/scope.js';
import { tensor } from '../../tensor/creation.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { MaskedAutoencoder } from './masked-autoencoder.js';
import { patchify, unpatchify } from './patchify.js';

/** Options of `reconstructionRows`. */
export interface ReconstructionOptions {
  /** Share of patches removed. */
  maskRatio: number;
  /** Whether the model predicts standardised patches. */
  normPixLoss: boolean;
  /** The normalisation the images carry (to show them as pixels). */
  mean: readonly number[];
  /** The normalisation's standard deviations. */
  std: readonly number[];
  /** The masking noise [N, L] (fixed, so every epoch's picture masks the same patches). */
  noise: Tensor;
}

/**
 * The picture as HWC uint8 pixels [N·S, 4·S, 3] (see the file comment). The model is put in
 * eval mode for the pass and back in the mode it was in.
 *
 * @example
 *   const rows = reconstructionRows(mae, images, options);   // uint8 tensor
 */
export function reconstructionRows(model: MaskedAutoencoder, images: Tensor, options: ReconstructionOptions): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      scope(() => {
        const { pred, mask } = model.forwardLoss(images, { maskRatio: options.maskRatio, normPixLoss: options.normPixLoss, noise: options.noise });
        const p = model.patchSize;
        const g = model.gridSize;
        let patches = pred;
        if (options.normPixLoss) {
          const target = patchify(images, p);
          patches = pred.mul(target.var(-1, { keepdim: true }).add(1e-6).sqrt()).add(target.mean(-1, { keepdim: true }));
        }
        const recon = unpatchify(patches, p, g);
        const removed = unpatchify(
          mask
            .unsqueeze(-1)
            .expand(mask.size(0), mask.size(1), p * p * 3)
            .contiguous(),
          p,
          g,
        );
        const kept = removed.neg().add(1);
        const mean = tensor([...options.mean])
          .view(1, 3, 1, 1)
          .to({ device: images.device });
        const std = tensor([...options.std])
          .view(1, 3, 1, 1)
          .to({ device: images.device });
        const toPixels = (x: Tensor) => x.mul(std).add(mean);
        const original = toPixels(images);
        const masked = original.mul(kept).add(removed.mul(0.5));
        const reconstruction = toPixels(recon);
        const pasted = original.mul(kept).add(reconstruction.mul(removed));
        // [N, 3, S, 4S] → rows stacked: [N·S, 4S, 3].
        const row = cat([original, masked, reconstruction, pasted], 3);
        return row.clamp(0, 1).mul(255).round().permute(0, 2, 3, 1).reshape(-1, row.size(3), 3).to({ dtype: 'uint8' }).cpu().contiguous();
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Writes the picture as a PNG, atomically.
 *
 * @example
 *   await writeReconstructionPicture('epoch-1.png', mae, images, options);
 */
export async function writeReconstructionPicture(path: string, model: MaskedAutoencoder, images: Tensor, options: ReconstructionOptions): Promise<void> {
  const rows = reconstructionRows(model, images, options);
  try {
    const [height, width] = rows.shape as [number, number, number];
    const bytes = Buffer.from(rows.toTypedArray() as Uint8Array);
    const png = await sharp(bytes, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    writeFileAtomic(path, png);
  } finally {
    rows.dispose();
  }
}
