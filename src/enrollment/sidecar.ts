/**
 * The enrolled classes of a checkpoint, stored beside it as `<checkpoint without
 * .safetensors>.enrolled.safetensors` (as the calibration is `….calibration.safetensors`), so
 * that `eval`, `predict`, `serve` and `classifier()` find them with no flag.
 *
 * One tensor, `embeddings` [M, D]: every enrolled photo's embedding (averaged with its mirror
 * image's), classes one after another — the head is computed from them and the calibration when
 * the model loads. JSON metadata under `finegrain_enrolled`:
 *
 * ```json
 * { "format": "finegrain-enrolled/1", "version": 3,
 *   "checkpoint": { "file": "best.safetensors", "sha256": "…" },
 *   "classes": [{ "name": "Audi Q7 SUV 2012", "photos": 5, "photoSha256": ["…"], "parents": ["Audi", "Audi Q7 SUV"], "enrolledAt": "…" }] }
 * ```
 *
 * Written atomically (a temp file renamed over the old one): a crash leaves the previous set
 * or the new one. `version` counts the changes. The rows were computed from one checkpoint's
 * embeddings: a sidecar whose checkpoint bytes changed is refused, as a stale calibration is.
 * Removing the last class removes the file.
 *
 * @example
 *   saveEnrolled(ckpt, set);
 *   const set = loadEnrolled(ckpt, classes, 1280); // an empty set when there is no file
 */
import { existsSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../io/index.js';
import { fileSha256 } from '../open-world/calibration.js';
import { EnrolledClasses, type EnrolledClass } from './enrolled-classes.js';
import { EnrollmentError } from './errors.js';
import { MAX_CORRECTION } from './limits.js';

/** The sidecar's format tag; a file with another is refused. */
export const ENROLLED_FORMAT = 'finegrain-enrolled/1';

/** The JSON half of the sidecar. */
export interface EnrolledSidecarInfo {
  /** The format tag. */
  format: typeof ENROLLED_FORMAT;
  /** How many changes made this set. */
  version: number;
  /** The checkpoint whose embeddings the rows were computed from. */
  checkpoint: {
    /** Its file name. */
    file: string;
    /** SHA-256 of its bytes, hex. */
    sha256: string;
  };
  /** The classes in output order, without their numbers. */
  classes: Omit<EnrolledClass, 'embeddings'>[];
}

/**
 * The sidecar path of a checkpoint.
 *
 * @example
 *   enrolledPath('runs/a/checkpoints/best.safetensors'); // 'runs/a/checkpoints/best.enrolled.safetensors'
 */
export function enrolledPath(checkpointPath: string): string {
  return checkpointPath.replace(/\.safetensors$/, '') + '.enrolled.safetensors';
}

/** Writes `set` beside `checkpointPath` (atomically); an empty set removes the file. Returns the path. */
export function saveEnrolled(checkpointPath: string, set: EnrolledClasses, checkpointSha256 = fileSha256(checkpointPath)): string {
  const out = enrolledPath(checkpointPath);
  if (!set.size) {
    rmSync(out, { force: true });
    return out;
  }
  const info: EnrolledSidecarInfo = {
    format: ENROLLED_FORMAT,
    version: set.version,
    checkpoint: { file: basename(checkpointPath), sha256: checkpointSha256 },
    classes: set.classes.map(({ name, photos, correction, photoSha256, parents, enrolledAt }) => ({
      name,
      photos,
      ...(correction !== undefined && { correction }),
      photoSha256,
      ...(parents && { parents }),
      enrolledAt,
    })),
  };
  const embeddings = set.photoEmbeddings();
  try {
    saveSafetensors(out, { embeddings }, { finegrain_enrolled: JSON.stringify(info) });
  } finally {
    embeddings.dispose();
  }
  return out;
}

/**
 * The classes enrolled beside a checkpoint (an empty set when it has none). A malformed
 * sidecar, one for other checkpoint bytes, or one whose names clash with the trained
 * `classes` throws an EnrollmentError naming the file.
 */
export function loadEnrolled(checkpointPath: string, classes: readonly string[], embeddingSize: number, checkpointSha256?: string): EnrolledClasses {
  const path = enrolledPath(checkpointPath);
  if (!existsSync(path)) return new EnrolledClasses([], embeddingSize);
  const fail = (msg: string): never => {
    throw new EnrollmentError(`${path}: ${msg}`, 'invalid');
  };
  let loaded: ReturnType<typeof loadSafetensors>;
  try {
    loaded = loadSafetensors(path);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { tensors, metadata } = loaded;
  try {
    let info: EnrolledSidecarInfo;
    try {
      info = JSON.parse(metadata?.finegrain_enrolled ?? 'null') as EnrolledSidecarInfo;
    } catch {
      return fail('its finegrain_enrolled metadata is not valid JSON');
    }
    if (info?.format !== ENROLLED_FORMAT) return fail(`not a finegrain enrollment (expected metadata format ${ENROLLED_FORMAT})`);
    if (!Array.isArray(info.classes) || !Number.isInteger(info.version)) return fail('"classes" and "version" are missing');
    const sha = checkpointSha256 ?? (existsSync(checkpointPath) ? fileSha256(checkpointPath) : undefined);
    if (sha && info.checkpoint?.sha256 !== sha)
      fail(`enrolled for other checkpoint bytes (${info.checkpoint?.file}, sha256 ${String(info.checkpoint?.sha256).slice(0, 12)}…): enroll the classes again`);
    const n = info.classes.length;
    const d = embeddingSize;
    const { embeddings } = tensors;
    const photos = info.classes.reduce((s, c) => s + (Number.isInteger(c.photos) && c.photos > 0 ? c.photos : NaN), 0);
    if (!(photos > 0)) fail('every class needs a positive whole number of photos');
    if (Object.keys(tensors).length !== 1 || embeddings?.shape.join() !== [photos, d].join())
      fail(
        `expected one tensor 'embeddings' [${photos}, ${d}] (${n} classes, ${photos} photos, ${d}-d embeddings), got ${Object.entries(tensors)
          .map(([k, t]) => `${k} [${t.shape}]`)
          .join(', ')}`,
      );
    const trained = new Set(classes);
    const seen = new Set<string>();
    for (const c of info.classes) {
      if (typeof c.name !== 'string' || trained.has(c.name) || seen.has(c.name))
        fail(`class name ${JSON.stringify(c.name)} is missing, repeated or a trained class`);
      seen.add(c.name);
    }
    const e = embeddings!.float().contiguous().toTypedArray() as Float32Array;
    let at = 0;
    const list: EnrolledClass[] = info.classes.map((c) => {
      const out: EnrolledClass = {
        name: c.name,
        embeddings: e.slice(at * d, (at + c.photos) * d),
        photos: c.photos,
        photoSha256: Array.isArray(c.photoSha256) ? c.photoSha256.map(String) : [],
        ...(typeof c.correction === 'number' && c.correction >= 0 && c.correction <= MAX_CORRECTION && { correction: c.correction }),
        ...(Array.isArray(c.parents) && { parents: c.parents.map(String) }),
        enrolledAt: String(c.enrolledAt ?? ''),
      };
      at += c.photos;
      return out;
    });
    return new EnrolledClasses(list, d, info.version);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
