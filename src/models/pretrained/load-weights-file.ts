/**
 * Loading reference weights from a weights file (safetensors, or a PyTorch checkpoint:
 * `.pth`/`.bin`/`.ckpt`, `path#entry` for a nested one) into a model, one tensor at a time (a
 * 644M-parameter RegNet never needs two copies in memory). The file must hold exactly the
 * model's state dict, except the classifier: when its shape differs (a new label set) or the
 * model has none (`numClasses: 0`), the file's classifier is skipped and the model's is
 * initialised afresh — the usual fine-tuning start. ViTs also take the other ViT layout, an
 * encoder without classifier and a position embedding for another grid (../vit/vit-weights.ts).
 *
 * @example
 *   const model = withoutInit(() => new ResNet(config, { numClasses: 200 }));
 *   loadPretrained(model, 'resnet50.safetensors');   // fc is re-initialised for 200 classes
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { openWeights } from '../../io/weights-file.js';
import { formatLoadReport, type LoadStateDictReport } from '../../nn/state-dict.js';
import type { ImageClassifier } from '../classifier.js';
import { adaptVitWeights } from '../vit/vit-weights.js';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Whether the weights file at `path` holds any key starting with one of `prefixes`. */
export function hasKeysUnder(path: string, prefixes: readonly string[]): boolean {
  const file = openWeights(path);
  try {
    return file.keys().some((k) => prefixes.some((p) => k.startsWith(p)));
  } finally {
    file.close();
  }
}

/** Rows of the 2-D `<classifierPath>.weight` in the file (its class count), or undefined. */
export function classifierRows(path: string, classifierPath: string): number | undefined {
  const file = openWeights(path);
  try {
    const key = `${classifierPath}.weight`;
    if (!file.has(key)) return undefined;
    const shape = file.info(key).shape;
    return shape.length === 2 ? shape[0] : undefined;
  } finally {
    file.close();
  }
}

/**
 * Loads `path` into `model`; throws (naming the keys) when anything but the classifier differs.
 * @example loadPretrained(model, 'regnet_y_16gf.safetensors');
 */
export function loadPretrained(
  model: ImageClassifier,
  path: string,
  options: { exact?: boolean; modelName?: string; log?: (line: string) => void } = {},
): void {
  const raw = openWeights(path);
  // ViTs take either layout, an encoder without head, and another grid (vit/vit-weights.ts).
  let adapted: ReturnType<typeof adaptVitWeights>;
  try {
    adapted = adaptVitWeights(model, raw);
  } catch (e) {
    raw.close();
    throw e;
  }
  const file = adapted?.file ?? raw;
  // `exact` (finegrain forward) runs the file as it is: nothing may start fresh.
  const fresh = new Set(options.exact ? [] : (adapted?.fresh ?? []));
  try {
    if (file.note && options.log) options.log(file.note);
    for (const line of adapted?.notes ?? []) options.log?.(line);
    const entries = model.stateEntries();
    const inFile = new Set(file.keys());
    // The classifier and any auxiliary ones: resetClassifier() renews them all.
    const heads = [model.classifierPath, ...model.auxClassifierPaths].map((p) => `${p}.`);
    const isHead = (key: string) => heads.some((h) => key.startsWith(h));
    const report: LoadStateDictReport = { missing: [], unexpected: [], shapeMismatch: [] };
    let skippedHead = false;
    const copies: [string, (typeof entries)[number][1]][] = [];
    for (const [key, target] of entries) {
      if (!inFile.has(key)) {
        if (fresh.has(key)) continue;
        // Absent batch counters are tolerated, as PyTorch does for unversioned state dicts.
        if (!key.endsWith('.num_batches_tracked')) report.missing.push(key);
        continue;
      }
      const got = file.info(key).shape;
      if (sameShape(target.shape, got)) copies.push([key, target]);
      else if (isHead(key) && !options.exact) skippedHead = true;
      else report.shapeMismatch.push({ key, expected: target.shape, got });
    }
    const known = new Set(entries.map(([k]) => k));
    for (const key of inFile) {
      if (known.has(key)) continue;
      if (isHead(key) && model.numClasses === 0) continue;
      report.unexpected.push(key);
    }
    if (report.missing.length || report.unexpected.length || report.shapeMismatch.length) {
      const what = options.modelName ? `${options.modelName} (${model.numClasses} classes)` : model.constructor.name;
      throw new Error(`${path} does not fit ${what}: ${formatLoadReport(report)}`);
    }
    // In the order of the file's bytes: one forward pass (see WeightsFile.keysInFileOrder).
    const rank = new Map(file.keysInFileOrder().map((k, i) => [k, i]));
    copies.sort((a, b) => rank.get(a[0])! - rank.get(b[0])!);
    noGrad(() => {
      for (const [key, target] of copies) {
        const t = file.get(key);
        target.copy_(t);
        t.dispose();
      }
    });
    // The model was built without initialisation; a skipped classifier needs fresh weights.
    if (skippedHead) model.resetClassifier(model.numClasses);
    if (!options.exact) adapted?.initFresh();
  } finally {
    file.close();
  }
}
