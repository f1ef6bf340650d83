/**
 * A checkpoint's hierarchy, stored beside it as `<checkpoint without .safetensors>.hierarchy.json`
 * (as the calibration sidecar is `….calibration.safetensors`), so that serving and evaluation
 * find it with no flag. It is the `hierarchy.json` mapping plus a format tag, the fitted level
 * thresholds and where they came from:
 *
 * ```json
 * {
 *   "format": "finegrain-hierarchy/1",
 *   "levels": ["make", "model", "series"],
 *   "classes": { "Audi S4 Sedan 2012": ["Audi", "Audi S4 Sedan"], … },
 *   "thresholds": [0.62, 0.81, null],
 *   "fit": { "maxError": 0.03, "z": 1.645, "images": 186 },
 *   "checkpoint": { "file": "best.safetensors", "sha256": "…" },
 *   "createdAt": "2025-01-01T00:00:00.000Z"
 * }
 * ```
 *
 * A threshold of `null` is a level never confident (JSON has no Infinity). The hierarchy
 * depends only on class names, but thresholds were fitted on one model's probabilities: a
 * sidecar with thresholds names the checkpoint's SHA-256, and loading refuses it when the
 * checkpoint's bytes changed since, as a stale calibration is refused. Loading also refuses a
 * sidecar made for other classes than the checkpoint's. Written atomically.
 *
 * @example
 *   saveHierarchy('runs/cars/checkpoints/best.safetensors', h, { thresholds: fit.thresholds, fit: { maxError: 0.03 } });
 *   const stored = loadHierarchy('runs/cars/checkpoints/best.safetensors', classes); // null when there is none
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { fileSha256 } from '../open-world/calibration.js';
import type { ClassHierarchy, HierarchyMapping } from './class-hierarchy.js';
import { HierarchyError, listSome } from './errors.js';
import { checkMapping, hierarchyFromMapping } from './from-mapping.js';
import { checkThresholds, type LevelThresholds } from './scores.js';

/** The sidecar's format tag; a sidecar with another is refused. */
export const HIERARCHY_FORMAT = 'finegrain-hierarchy/1';

/** The stored sidecar (see the module comment). */
export interface HierarchySidecar extends HierarchyMapping {
  /** The format tag; a file with another is refused. */
  format: typeof HIERARCHY_FORMAT;
  /** One threshold per level; null: never confident. Absent: not fitted. */
  thresholds?: (number | null)[];
  /** How the thresholds were fitted (maxError, z, validation images), free-form, for people. */
  fit?: Record<string, unknown>;
  /** The checkpoint the thresholds were fitted for: file name and SHA-256 of its bytes. */
  checkpoint?: {
    /** The checkpoint's file name. */
    file: string;
    /** SHA-256 of its bytes, hex. */
    sha256: string;
  };
  /** When it was written, ISO 8601. */
  createdAt?: string;
}

/** A loaded sidecar: the hierarchy for the checkpoint's classes and its thresholds. */
export interface StoredHierarchy {
  /** The hierarchy, over the checkpoint's classes in their order. */
  hierarchy: ClassHierarchy;
  /** The fitted thresholds, or null when the sidecar has none. */
  thresholds: LevelThresholds | null;
  /** The sidecar as stored. */
  info: HierarchySidecar;
}

/**
 * The sidecar path of a checkpoint.
 *
 * @example
 *   hierarchyPath('runs/a/checkpoints/best.safetensors'); // 'runs/a/checkpoints/best.hierarchy.json'
 */
export function hierarchyPath(checkpointPath: string): string {
  return checkpointPath.replace(/\.safetensors$/, '') + '.hierarchy.json';
}

/**
 * Writes the sidecar of `checkpointPath` atomically and returns its path. With thresholds,
 * the checkpoint must exist: its hash is recorded.
 *
 * @example
 *   saveHierarchy(ckpt, hierarchyFromNames(classes, 'make-model-year')); // the mapping alone, no thresholds
 */
export function saveHierarchy(
  checkpointPath: string,
  hierarchy: ClassHierarchy,
  options: { thresholds?: LevelThresholds; fit?: Record<string, unknown> } = {},
): string {
  const { thresholds, fit } = options;
  const info: HierarchySidecar = { format: HIERARCHY_FORMAT, ...hierarchy.toMapping() };
  if (thresholds) {
    checkThresholds(hierarchy, thresholds);
    if (!existsSync(checkpointPath)) throw new HierarchyError(`${checkpointPath}: checkpoint not found (thresholds are stored with its hash)`);
    info.thresholds = thresholds.map((t) => (t === Infinity ? null : t));
    info.checkpoint = { file: basename(checkpointPath), sha256: fileSha256(checkpointPath) };
  }
  if (fit) info.fit = fit;
  info.createdAt = new Date().toISOString();
  const out = hierarchyPath(checkpointPath);
  writeFileAtomic(out, JSON.stringify(info, null, 2) + '\n');
  return out;
}

/**
 * The hierarchy stored beside a checkpoint, for its classes (in the checkpoint's order), or
 * null when it has none. A malformed sidecar, one made for other classes, or thresholds
 * fitted for other checkpoint bytes throw a HierarchyError naming the file.
 *
 * @example
 *   const stored = loadHierarchy(ckpt, classes);
 *   if (stored?.thresholds) hierarchicalAnswer(stored.hierarchy, probs, stored.thresholds);
 */
export function loadHierarchy(checkpointPath: string, classes: readonly string[]): StoredHierarchy | null {
  const path = hierarchyPath(checkpointPath);
  if (!existsSync(path)) return null;
  const fail = (msg: string): never => {
    throw new HierarchyError(`${path}: ${msg}`);
  };
  let info: HierarchySidecar;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as HierarchySidecar;
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (info?.format !== HIERARCHY_FORMAT) return fail(`not a finegrain hierarchy sidecar (expected format ${HIERARCHY_FORMAT})`);
  let mapping: HierarchyMapping;
  try {
    mapping = checkMapping(info);
  } catch (e) {
    return fail((e as Error).message);
  }
  const known = new Set(classes);
  const extra = Object.keys(mapping.classes).filter((c) => !known.has(c));
  const missing = classes.filter((c) => !Object.hasOwn(mapping.classes, c));
  if (extra.length || missing.length)
    fail(
      `made for other classes than the checkpoint's (${Object.keys(mapping.classes).length} there, ${classes.length} here` +
        `${extra.length ? `; not in the checkpoint: ${listSome(extra)}` : ''}${missing.length ? `; missing: ${listSome(missing)}` : ''}): write it again for this checkpoint`,
    );
  let thresholds: LevelThresholds | null = null;
  if (info.thresholds !== undefined) {
    if (!Array.isArray(info.thresholds) || info.thresholds.some((t) => t !== null && !Number.isFinite(t)))
      fail(`"thresholds" must be an array of numbers or null (never confident), got ${JSON.stringify(info.thresholds)}`);
    thresholds = info.thresholds.map((t) => t ?? Infinity);
    if (info.checkpoint && existsSync(checkpointPath)) {
      const sha = fileSha256(checkpointPath);
      if (sha !== info.checkpoint.sha256)
        fail(
          `its thresholds were fitted for other checkpoint bytes (${info.checkpoint.file}, sha256 ${info.checkpoint.sha256.slice(0, 12)}…; this file is ${sha.slice(0, 12)}…): fit them again`,
        );
    }
  }
  try {
    const hierarchy = hierarchyFromMapping(classes, mapping);
    if (thresholds) checkThresholds(hierarchy, thresholds);
    return { hierarchy, thresholds, info };
  } catch (e) {
    return fail((e as Error).message);
  }
}
