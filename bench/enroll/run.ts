/**
 * bench/enroll: new classes from a few photos, without retraining (issue 33). A model trained
 * with some series held out enrolls each held-out series from 1, 5 and 10 of its training
 * photos (several random draws); on the test photos of every series it reports
 *
 *   - the enrolled series' top-1 accuracy (all classes competing: trained + enrolled),
 *   - the trained series' top-1 before and after enrollment,
 *   - the unknown detector's AUROC for series never enrolled, before and after,
 *
 * for each way of placing a new class. Beside the trained head (old classes unchanged, new ones
 * added): weight imprinting (`imprint`: the normalised prototype at the head's mean row norm),
 * the mean trained logit plus the prototype's cosine advantage (`cos-shift`), the look-alike's
 * trained logit plus the prototype's advantage over it (`anchor`), and the trained head plus
 * cosine prototypes for every class (`hybrid`). Replacing the trained head: nearest class mean
 * by cosine (`ncm`, and centred `CL2N`), and the library's closed-form LDA head for every class
 * (enrollment/enrolled-head.ts) at several covariance shrinkages α, with and without the
 * few-shot correction. The forward passes run once; each method is arithmetic on the
 * embeddings.
 *
 *   npm run bench -- enroll --checkpoint runs/enroll/base26/checkpoints/best.safetensors \
 *       --data ../shared/data/cars33 --enrolled "A|B|…" --never "X|Y" [--shots 1,5,10] [--draws 5]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuModel } from '../engine/machine.js';
import { table } from '../format.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { predictOutputs } from '../../src/open-world/model-outputs.js';
import { loadCalibration, calibrationPath } from '../../src/open-world/calibration.js';
import { calibrate } from '../../src/open-world/calibrate-checkpoint.js';
import { auroc } from '../../src/open-world/metrics/auroc.js';
import { answeringLogits } from '../../src/open-world/choose-head.js';
import { ece } from '../../src/open-world/metrics/ece.js';
import { knnScore, l2Normalize } from '../../src/open-world/ood/knn.js';
import { closedFormHead, DEFAULT_SHRINKAGE, fitClosedFormReference, type ClosedFormReference } from '../../src/open-world/closed-form-head.js';
import { EnrolledClasses } from '../../src/enrollment/enrolled-classes.js';
import { defaultCorrection } from '../../src/enrollment/limits.js';
import { enrolledHead } from '../../src/enrollment/enrolled-head.js';
import { imageFolder } from '../../src/data/datasets/image-folder.js';
import type { ImageDataset } from '../../src/data/datasets/dataset.js';
import { Rng } from '../../src/data/random.js';
import { cat } from '../../src/tensor/join.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { softmax } from '../../src/nn/functional/activation.js';
import { existsSync } from 'node:fs';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    data: { type: 'string', default: '../shared/data/cars33' },
    enrolled: {
      type: 'string',
      default: 'Audi S4 Sedan 2007|BMW 3 Series Wagon 2012|Audi S5 Convertible 2012|BMW X6 SUV 2012|Mercedes-Benz Sprinter Van 2012',
    },
    never: { type: 'string', default: 'Audi TTS Coupe 2012|BMW M6 Convertible 2010' },
    shots: { type: 'string', default: '1,5,10' },
    draws: { type: 'string', default: '5' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help || !values.checkpoint) {
  console.log(`usage: npm run bench -- enroll --checkpoint CKPT [--data DIR] [--enrolled "A|B"] [--never "X|Y"] [--shots 1,5,10] [--draws 5] [--out FILE]

  --checkpoint  a model trained without the --enrolled and --never series (calibrated here if it is not)
  --data        a folder with train/ and test/, a folder per series
  --enrolled    the series to enroll from their training photos ('|'-separated)
  --never       series never enrolled: the unknown detector should flag them
  --shots       photos per enrolled series
  --draws       random draws of the photos per shot count`);
  process.exit(values.help ? 0 : 2);
}
const ckpt = values.checkpoint;
const enrolledNames = values.enrolled!.split('|');
const neverNames = values.never ? values.never.split('|') : [];
const shotList = values.shots!.split(',').map(Number);
const draws = Number(values.draws);

if (!existsSync(calibrationPath(ckpt))) {
  console.log('calibrating (the run split of the checkpoint)…');
  await calibrate(ckpt, { onNote: (l) => console.log(`  ${l}`) });
}
const cal = loadCalibration(ckpt)!;
const loaded = loadModelFromCheckpoint(ckpt);
const trained = loaded.meta.classes as readonly string[];
const stats = cal.stats;
const T = cal.temperature;
const k = cal.info.k;

/** A dataset of the named class folders of `root` (labels: index in `names`). */
function subset(root: string, names: readonly string[]): ImageDataset {
  const all = imageFolder(root, { minClasses: 1 });
  const idx = new Map(names.map((n, i) => [n, i]));
  const samples = all.samples.flatMap((s) => {
    const n = all.classes[s.label!]!;
    return idx.has(n) ? [{ ...s, label: idx.get(n)! }] : [];
  });
  return { classes: names, samples, skipped: all.skipped, source: root };
}

const t0 = performance.now();
const testAll = [...trained, ...enrolledNames, ...neverNames];
const test = await predictOutputs(loaded, subset(join(values.data!, 'test'), testAll), { batchSize: 32 });
const shotsOut = await predictOutputs(loaded, subset(join(values.data!, 'train'), enrolledNames), { batchSize: 32, tta: { flips: true } });
const forwardSeconds = (performance.now() - t0) / 1000;
console.log(`forward passes: ${test.labels.length} test photos, ${shotsOut.labels.length} enrollment candidates, ${forwardSeconds.toFixed(0)} s`);

const C = trained.length;
const E = enrolledNames.length;
const isOld = test.labels.map((l) => l < C);
const isNew = test.labels.map((l) => l >= C && l < C + E);
const isNever = test.labels.map((l) => l >= C + E);

type Method = {
  name: string;
  rows: (perClass: Tensor[]) => { weight: Tensor; bias: Tensor } | null;
  all?: 'ncm' | 'knn';
  logits?: (perClass: Tensor[]) => Tensor;
};
const refs = new Map<string, ClosedFormReference>();
function ref(alpha: number, meanScale = 1): ClosedFormReference {
  const key = `${alpha} ${meanScale}`;
  if (!refs.has(key))
    refs.set(
      key,
      fitClosedFormReference(
        { classMeans: stats.classMeans!, precision: stats.precision!, headWeight: stats.headWeight!, headBias: stats.headBias! },
        { shrinkage: alpha, meanScale },
      ),
    );
  return refs.get(key)!;
}
const imprintRows = (perClass: Tensor[]) =>
  scope(() => {
    const norm = stats.headWeight!.norm(2, 1).mean().item();
    const protos = l2Normalize(
      cat(
        perClass.map((e) => e.mean(0).unsqueeze(0)),
        0,
      ),
    );
    return { weight: protos.mul(norm), bias: fromTypedArray(new Float32Array(perClass.length).fill(stats.headBias!.mean().item()), [perClass.length]) };
  });
/** a: trained logit per unit of cosine to the class prototypes, fitted on the old classes at their means (rows centred). */
const cosScale = scope(() => {
  const protos = l2Normalize(stats.classMeans!);
  const l = protos.mm(protos.t());
  const z = stats.classMeans!.mm(stats.headWeight!.t()).add(stats.headBias!);
  const lc = l.sub(l.mean(1, { keepdim: true }));
  const zc = z.sub(z.mean(1, { keepdim: true }));
  return lc.mul(zc).sum().item() / lc.square().sum().item();
});
console.log(`cosine scale a = ${cosScale.toFixed(3)}`);
/** Logits of every class: old ones Z + λ a (cos − mean cos), new ones mean(Z) + λ' a (cos − mean cos). */
const hybrid = (lambdaOld: number, lambdaNew: number) => (perClass: Tensor[]) =>
  scope(() => {
    const e = l2Normalize(test.embeddings);
    const cosOld = e.mm(l2Normalize(stats.classMeans!).t());
    const cosNew = e.mm(
      l2Normalize(
        cat(
          perClass.map((x) => x.mean(0).unsqueeze(0)),
          0,
        ),
      ).t(),
    );
    const centre = cosOld.mean(1, { keepdim: true });
    const zbar = baseLogits.mean(1, { keepdim: true });
    const old = baseLogits.add(cosOld.sub(centre).mul(lambdaOld * cosScale));
    const nu = zbar.add(cosNew.sub(centre).mul(lambdaNew * cosScale));
    return cat([old, nu], 1);
  });
/**
 * 'anchor': each new class borrows the trained logit of the old class its prototype is nearest
 * to (its look-alike, j) and adds β a (cos(e, p_new) − cos(e, p_j)): against the look-alike the
 * prototypes decide, against every other class the trained head does.
 */
const anchored =
  (beta: number, margin = 0) =>
  (perClass: Tensor[]) =>
    scope(() => {
      const e = l2Normalize(test.embeddings);
      const oldP = l2Normalize(stats.classMeans!);
      const newP = l2Normalize(
        cat(
          perClass.map((x) => x.mean(0).unsqueeze(0)),
          0,
        ),
      );
      const anchor = newP.mm(oldP.t()).argmax(1); // [E]
      const cosNew = e.mm(newP.t());
      const cosAnchor = e.mm(oldP.t()).indexSelect(1, anchor);
      const zAnchor = baseLogits.indexSelect(1, anchor);
      return cat(
        [
          baseLogits,
          zAnchor.add(
            cosNew
              .sub(cosAnchor)
              .sub(margin)
              .mul(beta * cosScale),
          ),
        ],
        1,
      );
    });
/** Nearest class mean over every class after centring on the old classes' mean and L2 normalising (SimpleShot's CL2N). */
const ncmCentred = (perClass: Tensor[]) =>
  scope(() => {
    const m = stats.classMeans!.mean(0, { keepdim: true });
    const protos = l2Normalize(cat([stats.classMeans!, ...perClass.map((e) => e.mean(0).unsqueeze(0))], 0).sub(m));
    return l2Normalize(test.embeddings.sub(m)).mm(protos.t()).mul(16);
  });
/** LDA for every class without the few-shot correction (the library's head minus it). */
const ldaAll = (alpha: number) => (perClass: Tensor[]) =>
  scope(() => {
    const r = ref(alpha);
    const means = cat([stats.classMeans!, ...perClass.map((e) => e.mean(0).unsqueeze(0))], 0).sub(r.center.unsqueeze(0));
    const dirs = means.mm(r.metric);
    const half = dirs.mul(means).sum(1).mul(0.5);
    return test.embeddings.sub(r.center.unsqueeze(0)).mm(dirs.t()).sub(half.unsqueeze(0));
  });
/** The closed-form head with the few-shot correction at `share` of its size, at shrinkage α and mean scale β. */
const ldaShare =
  (alpha: number, share: number, meanScale = 1) =>
  (perClass: Tensor[]) =>
    scope(() => {
      const means = cat([stats.classMeans!, ...perClass.map((e) => e.mean(0).unsqueeze(0))], 0);
      const photos = [...Array.from({ length: stats.classMeans!.size(0) }, () => Infinity), ...perClass.map((e) => e.size(0))];
      const h = closedFormHead(ref(alpha, meanScale), means, photos, { fewShotCorrection: share });
      return test.embeddings.float().mm(h.weight.t()).add(h.bias);
    });
/** The library's head (enrollment/enrolled-head.ts) at shrinkage α. */
const ldaHead = (alpha: number) => (perClass: Tensor[]) =>
  scope(() => {
    const set = new EnrolledClasses(
      perClass.map((e, i) => ({
        name: enrolledNames[i]!,
        embeddings: Float32Array.from(e.float().contiguous().toTypedArray() as Float32Array),
        photos: e.size(0),
        photoSha256: [],
        enrolledAt: '',
      })),
      e0.size(1),
    );
    const head = enrolledHead(ref(alpha, libraryBeta(alpha)), stats.classMeans!, set);
    try {
      return head.logits(test.embeddings);
    } finally {
      head.dispose();
    }
  });
const e0 = test.embeddings;
// The shrinkage the library uses for this model: the calibration's choice, else the default.
const libraryShrinkage = cal.info.head?.shrinkage ?? DEFAULT_SHRINKAGE;
// ... and its mean scale β (closed-form-head.ts): 1 unless the calibration measured one.
const libraryMeanScale = cal.info.head?.meanScale ?? 1;
/** β at shrinkage α as the library uses it: the calibration's at its own α, 1 at the others. */
const libraryBeta = (alpha: number) => (alpha === libraryShrinkage ? libraryMeanScale : 1);
const betaName = (b: number) => (b < 1 ? ` β=${b.toFixed(2)}` : '');
const methods: Method[] = [
  ...[0.3, 1].flatMap((a) => [0.25, 0.75].map((c) => ({ name: `lda every class α=${a}, correction × ${c}`, rows: () => null, logits: ldaShare(a, c) }))),
  { name: 'ncm centred (CL2N)', rows: () => null, logits: ncmCentred },
  { name: 'lda every class α=1, no few-shot correction', rows: () => null, logits: ldaAll(1) },
  ...[0.1, 0.3, 1, 3].map((a) => ({
    name: `lda every class α=${a}${betaName(libraryBeta(a))}, correction × ${defaultCorrection(libraryBeta(a))}${a === libraryShrinkage ? ' (the library)' : ''}`,
    rows: () => null,
    logits: ldaHead(a),
  })),
  ...[0.3, 1].map((a) => ({ name: `lda every class α=${a}, correction × 1`, rows: () => null, logits: ldaShare(a, 1) })),
  ...(libraryMeanScale < 1
    ? [0.5, 1, 1.5, 2].map((c) => ({
        name: `lda every class α=${libraryShrinkage}${betaName(libraryMeanScale)}, correction × ${c}`,
        rows: () => null,
        logits: ldaShare(libraryShrinkage, c, libraryMeanScale),
      }))
    : []),
  ...[1, 2, 4].map((b) => ({ name: `anchor β=${b}`, rows: () => null, logits: anchored(b) })),
  ...[1, 2].map((l) => ({ name: `cos-shift λ=${l}`, rows: () => null, logits: hybrid(0, l) })),
  ...[2, 4].map((l) => ({ name: `hybrid λ=${l}`, rows: () => null, logits: hybrid(l, l) })),
  { name: 'imprint', rows: imprintRows },
  { name: 'ncm (every class by prototype)', rows: () => null, all: 'ncm' },
];

/** Top-1 over rows of `logits` [N, K]. */
function argmax(logits: Tensor): Int32Array {
  return scope(() => Int32Array.from(logits.argmax(1).toTypedArray() as BigInt64Array, Number));
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
function accuracy(pred: Int32Array, mask: boolean[]): number {
  let n = 0;
  let ok = 0;
  mask.forEach((m, i) => {
    if (!m) return;
    n++;
    if (pred[i] === test.labels[i]) ok++;
  });
  return ok / n;
}
/** AUROC of flagging never-enrolled photos among `known` photos, by a score (higher = known). */
function unknownAuroc(score: ArrayLike<number>, known: boolean[]): number {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < test.labels.length; i++) {
    if (known[i]) pos.push(score[i]!);
    else if (isNever[i]) neg.push(score[i]!);
  }
  return neg.length && pos.length ? auroc(pos, neg) : NaN;
}
const msp = (logits: Tensor) => scope(() => Float64Array.from(softmax(logits.float().div(T), 1).max(1).values.toTypedArray() as Float32Array));

// Before: the trained head alone (old series' accuracy; unknown AUROC with old photos as known).
const baseLogits = test.logits;
// ... and the head the model answers with when the calibration chose the closed-form one.
const servedBefore = answeringLogits(cal, test.logits, test.embeddings);
/** Expected calibration error of the top-1 probability at the calibration's temperature, over the photos in `mask`. */
function calibrationError(logits: Tensor, mask: boolean[]): number {
  const conf = msp(logits);
  const pred = argmax(logits);
  const c: number[] = [];
  const ok: number[] = [];
  mask.forEach((m, i) => {
    if (!m) return;
    c.push(conf[i]!);
    ok.push(pred[i] === test.labels[i] ? 1 : 0);
  });
  return ece(c, ok);
}
const before = {
  head: cal.info.head?.kind ?? 'trained',
  ece: calibrationError(servedBefore, isOld),
  oldAccuracy: accuracy(argmax(servedBefore), isOld),
  trainedHeadOldAccuracy: accuracy(argmax(baseLogits), isOld),
  aurocKnn: unknownAuroc(knnScore(test.embeddings, stats.bank!, k), isOld),
  aurocMsp: unknownAuroc(msp(servedBefore), isOld),
};
console.log(
  `before enrollment (the ${before.head} head answers): trained series ${(before.oldAccuracy * 100).toFixed(1)} % (trained head ${(before.trainedHeadOldAccuracy * 100).toFixed(1)} %), unknown AUROC knn ${before.aurocKnn.toFixed(3)}, msp ${before.aurocMsp.toFixed(3)}, ECE ${before.ece.toFixed(3)}`,
);

interface Row {
  method: string;
  shots: number;
  newAccuracy: number[];
  oldAccuracy: number[];
  aurocKnn: number[];
  aurocMsp: number[];
  ece: number[];
  enrollMs: number[];
}
const rows: Row[] = [];
const byClass = enrolledNames.map((_, c) => shotsOut.labels.flatMap((l, i) => (l === c ? [i] : [])));
const knownAfter = test.labels.map((l) => l < C + E);
for (const shots of shotList) {
  for (const m of methods) {
    const row: Row = { method: m.name, shots, newAccuracy: [], oldAccuracy: [], aurocKnn: [], aurocMsp: [], ece: [], enrollMs: [] };
    for (let draw = 0; draw < draws; draw++) {
      const rng = new Rng(draw, 'enroll-draw', shots);
      const picked = byClass.map((idx) =>
        rng
          .permutation(idx.length)
          .slice(0, shots)
          .map((j) => idx[j]!),
      );
      scope(() => {
        const perClass = picked.map((idx) => shotsOut.embeddings.indexSelect(0, fromTypedArray(BigInt64Array.from(idx, BigInt), [idx.length])));
        const start = performance.now();
        let logits: Tensor;
        if (m.logits) logits = m.logits(perClass);
        else if (m.all === 'ncm') {
          const protos = l2Normalize(cat([stats.classMeans!, ...perClass.map((e) => e.mean(0).unsqueeze(0))], 0));
          logits = l2Normalize(test.embeddings).mm(protos.t()).mul(16);
        } else {
          const r = m.rows(perClass)!;
          logits = cat([baseLogits, test.embeddings.mm(r.weight.t()).add(r.bias)], 1);
        }
        row.enrollMs.push(performance.now() - start);
        const pred = argmax(logits);
        row.newAccuracy.push(accuracy(pred, isNew));
        row.oldAccuracy.push(accuracy(pred, isOld));
        const bank = cat([stats.bank!, l2Normalize(cat(perClass, 0))], 0);
        row.aurocKnn.push(unknownAuroc(knnScore(test.embeddings, bank, k), knownAfter));
        row.aurocMsp.push(unknownAuroc(msp(logits), knownAfter));
        row.ece.push(calibrationError(logits, knownAfter));
      });
    }
    rows.push(row);
  }
}

const pct = (xs: number[]) => `${(mean(xs) * 100).toFixed(1)} ± ${(std(xs) * 100).toFixed(1)}`;
console.log(
  `\nenrollment on ${cpuModel()}: ${C} trained series, ${E} enrolled, ${neverNames.length} never enrolled; ${draws} draws of the photos; test photos: ${isOld.filter(Boolean).length} trained / ${isNew.filter(Boolean).length} enrolled / ${isNever.filter(Boolean).length} never`,
);
console.log(
  table(
    [
      'method',
      'shots',
      'enrolled top-1 %',
      'trained top-1 %',
      `Δ trained (was ${(before.oldAccuracy * 100).toFixed(1)})`,
      'AUROC knn',
      'AUROC msp',
      `ECE (was ${before.ece.toFixed(3)})`,
    ],
    rows.map((r) => [
      r.method,
      String(r.shots),
      pct(r.newAccuracy),
      pct(r.oldAccuracy),
      ((mean(r.oldAccuracy) - before.oldAccuracy) * 100).toFixed(1),
      mean(r.aurocKnn).toFixed(3),
      mean(r.aurocMsp).toFixed(3),
      mean(r.ece).toFixed(3),
    ]),
  ),
);
const out = values.out ?? `bench/results/enroll-${new Date().toISOString().slice(0, 10)}.json`;
writeFileSync(
  out,
  JSON.stringify(
    {
      machine: cpuModel(),
      date: new Date().toISOString(),
      checkpoint: ckpt,
      trained,
      enrolled: enrolledNames,
      never: neverNames,
      before,
      forwardSeconds,
      rows,
      reference: [...refs.values()].map((r) => ({
        shrinkage: r.shrinkage,
        meanScale: r.meanScale,
        scale: r.scale,
        fit: r.fit,
        noisePerPhoto: r.noisePerPhoto,
      })),
    },
    null,
    2,
  ) + '\n',
);
console.log(`results: ${out}`);
for (const r of refs.values()) r.dispose();
test.dispose();
shotsOut.dispose();
cal.dispose();
