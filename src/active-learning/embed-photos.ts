/**
 * Photos through the served model, for ranking: each file decoded and its quality judged as
 * `classify` and `serve` do (LibtorchModel.decode), then the calibrated probabilities and the
 * embeddings of the usable ones in batches (LibtorchModel.embedBatch). A file that cannot be
 * read is reported, never fatal; a photo the quality gate flags (dark, blurry, …) is left out
 * with its issues when `qualityGate` is on. The next batch decodes (on libuv's threads) while
 * the current one runs through the model.
 *
 * @example
 *   const out = await embedPhotos(model, ['a.jpg', 'b.jpg'], { qualityGate: true });
 *   out.paths;            // the usable photos, one row each
 *   out.skipped.summary() // '1 file skipped: 1 truncated'
 */
import { SkipReport } from '../data/skip-report.js';
import { ImageDecodeError } from '../data/decode/decode-image.js';
import type { QualityIssue } from '../open-world/quality.js';
import type { LibtorchModel } from '../pipeline/libtorch-model.js';
import type { DecodedImage } from '../pipeline/served-model.js';

/** A photo the quality gate left out. */
export interface LowQualityPhoto {
  /** The photo. */
  path: string;
  /** What the gate found wrong with it. */
  issues: QualityIssue[];
}

/** What `embedPhotos` read: one row per usable photo, and what it left out. */
export interface EmbeddedPhotos {
  /** The usable photos, in row order. */
  paths: string[];
  /** Calibrated probabilities, row-major [rows × classes]. */
  probabilities: Float32Array;
  /** Embeddings, row-major [rows × embeddingSize]. */
  embeddings: Float32Array;
  /** Width of an embedding. */
  embeddingSize: number;
  /** Photos the quality gate flagged, with its issues (only with `qualityGate`). */
  lowQuality: LowQualityPhoto[];
  /** Files that could not be read, with the reason. */
  skipped: SkipReport;
}

/** Options of `embedPhotos`. */
export interface EmbedPhotosOptions {
  /** Leave out photos the quality gate flags (default true). */
  qualityGate?: boolean;
  /** Photos per forward pass (default 32). */
  batchSize?: number;
  /** Called after each batch with the photos done and the total. */
  onProgress?: (done: number, total: number) => void;
}

type Decoded = { path: string; image: DecodedImage } | null;

async function decodeAll(model: LibtorchModel, paths: readonly string[], skipped: SkipReport): Promise<Decoded[]> {
  return Promise.all(
    paths.map(async (path) => {
      try {
        return { path, image: await model.decode(path, { label: path }) };
      } catch (e) {
        // A file that vanished, is not an image or is cut short is one line of the report.
        if (e instanceof ImageDecodeError) skipped.add(path, e.reason, (e as Error).message);
        else skipped.add(path, 'unreadable', (e as Error).message);
        return null;
      }
    }),
  );
}

/** The photos' rows (see the file comment). */
export async function embedPhotos(model: LibtorchModel, files: readonly string[], options: EmbedPhotosOptions = {}): Promise<EmbeddedPhotos> {
  const batchSize = options.batchSize ?? 32;
  const gate = options.qualityGate ?? true;
  const skipped = new SkipReport();
  const lowQuality: EmbeddedPhotos['lowQuality'] = [];
  const paths: string[] = [];
  const probs: Float32Array[] = [];
  const embs: Float32Array[] = [];
  let embeddingSize = 0;
  const decodeBatch = (start: number) => decodeAll(model, files.slice(start, start + batchSize), skipped);
  let next: Promise<Decoded[]> | null = files.length ? decodeBatch(0) : null;
  for (let start = 0; next; start += batchSize) {
    const decoded = await next;
    next = start + batchSize < files.length ? decodeBatch(start + batchSize) : null;
    const usable = decoded.filter((d): d is NonNullable<Decoded> => {
      if (!d) return false;
      if (gate && !d.image.quality.ok) lowQuality.push({ path: d.path, issues: d.image.quality.issues });
      return !gate || d.image.quality.ok;
    });
    if (usable.length) {
      const out = model.embedBatch(usable.map((d) => d.image));
      probs.push(out.probabilities);
      embs.push(out.embeddings);
      embeddingSize = out.embeddingSize;
      paths.push(...usable.map((d) => d.path));
    }
    options.onProgress?.(Math.min(files.length, start + batchSize), files.length);
  }
  return { paths, probabilities: concat(probs), embeddings: concat(embs), embeddingSize, lowQuality, skipped };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
