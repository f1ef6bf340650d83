/**
 * What the near-duplicate threshold rests on (DEFAULT_DUPLICATE_SIMILARITY): the cosine
 * similarity, in the backbone's embedding space, between photos and their re-encoded, resized
 * and cropped copies, against the similarity of each photo to its closest *other* photo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { ImageDataset } from '../../src/data/datasets/dataset.js';
import { unlabeledFolder } from '../../src/data/datasets/unlabeled.js';
import { Rng } from '../../src/data/random.js';
import { l2Normalize } from '../../src/open-world/ood/knn.js';
import { eye, tensor } from '../../src/tensor/index.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { embedDataset } from './embed.js';

/** The copies made of each photo. */
const VARIANTS: Record<string, (img: Sharp, w: number, h: number) => Sharp> = {
  'jpeg-q50': (img) => img.jpeg({ quality: 50 }),
  'resized-70%': (img, w) => img.resize(Math.round(w * 0.7)).png(),
  'cropped-5%': (img, w, h) =>
    img.extract({ left: Math.round(w * 0.05), top: Math.round(h * 0.05), width: Math.round(w * 0.9), height: Math.round(h * 0.9) }).png(),
};

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Per variant: the lowest and 5th-percentile similarity to the original; and the closest-other-photo distribution. */
export async function duplicateStudy(
  train: ImageDataset,
  trainEmb: { embeddings: Tensor; indices: number[] },
  photos: number,
  threshold: number,
  log: (s: string) => void,
) {
  const rng = new Rng(0, 'bench-suggest-duplicates');
  const rows = rng.permutation(trainEmb.indices.length).slice(0, photos);
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-suggest-dup-'));
  try {
    for (const r of rows) {
      const src = train.samples[trainEmb.indices[r]!]!.path;
      const meta = await sharp(src).metadata();
      for (const [name, make] of Object.entries(VARIANTS))
        await make(sharp(src), meta.width!, meta.height!).toFile(join(dir, `${r}__${name}.${name.startsWith('jpeg') ? 'jpg' : 'png'}`));
    }
    const copies = unlabeledFolder(dir);
    const emb = await embedDataset(copies, null, log);
    const unit = l2Normalize(emb.embeddings);
    const originals = scope(() => l2Normalize(trainEmb.embeddings.indexSelect(0, tensor(rows, { dtype: 'int64' }))));
    const byVariant: Record<string, number[]> = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, []]));
    const u = unit.contiguous().toTypedArray() as Float32Array;
    const o = originals.contiguous().toTypedArray() as Float32Array;
    const d = unit.size(1);
    emb.indices.forEach((dsIndex, i) => {
      const [row, variant] = basename(copies.samples[dsIndex]!.path)
        .replace(/\.\w+$/, '')
        .split('__') as [string, string];
      const j = rows.indexOf(Number(row));
      let dot = 0;
      for (let k = 0; k < d; k++) dot += u[i * d + k]! * o[j * d + k]!;
      byVariant[variant]!.push(dot);
    });
    for (const t of [unit, originals, emb.embeddings]) t.dispose();
    // each training photo's closest other training photo
    const closest = scope(() => {
      const z = l2Normalize(trainEmb.embeddings);
      const n = z.size(0);
      return z.mm(z.t()).sub(eye(n).mul(3)).max(1).values.toTypedArray() as Float32Array;
    });
    const others = Array.from(closest);
    const out = {
      photos,
      threshold,
      variants: Object.fromEntries(
        Object.entries(byVariant).map(([v, xs]) => [v, { min: Math.min(...xs), p05: quantile(xs, 0.05), median: quantile(xs, 0.5) }]),
      ),
      closestOther: {
        median: quantile(others, 0.5),
        p95: quantile(others, 0.95),
        p99: quantile(others, 0.99),
        max: Math.max(...others),
        atOrAboveThreshold: others.filter((x) => x >= threshold).length,
        of: others.length,
      },
    };
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
