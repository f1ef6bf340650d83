/**
 * `suggest` end to end on the tiny fixture: the folder's cases (suggest-fixture.ts) each land
 * where they should, the numbers are the served model's calibrated ones, and the CSV is written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { classifier, liveTensors, suggest, SuggestError } from '../../src/index.js';
import { parseCsv } from '../../src/data/datasets/parse-csv.js';
import { embedPhotos } from '../../src/active-learning/embed-photos.js';
import { loadLibtorchModel } from '../../src/pipeline/libtorch-model.js';
import { suggestFixture, type SuggestFixture } from './suggest-fixture.js';

let dir: string;
let f: SuggestFixture;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-suggest-'));
  f = await suggestFixture(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('unreadable files reported, bad photos gated, near-duplicates collapsed, every usable photo accounted for once', async () => {
  const out = join(dir, 'all.csv');
  const r = await suggest(f.ckpt, { unlabeled: f.inbox, count: 50, out, outlierFraction: 0 });
  assert.equal(r.photos, 15);
  assert.deepEqual(r.skipped.map((s) => s.path).sort(), [f.corrupt, f.truncated].sort());
  assert.ok(
    r.skipped.every((s) => s.reason !== 'unreadable' || s.detail),
    JSON.stringify(r.skipped),
  );
  assert.match(r.skippedSummary, /2 files skipped/);
  assert.deepEqual(r.lowQuality.map((q) => q.path).sort(), [f.blurry, f.dark].sort(), JSON.stringify(r.lowQuality.map((q) => q.issues)));
  assert.ok(r.lowQuality.find((q) => q.path === f.dark)!.issues.includes('dark'));
  assert.ok(r.lowQuality.find((q) => q.path === f.blurry)!.issues.includes('blurry'));
  // 11 usable photos: each is a suggestion or stands behind exactly one
  const seen = r.suggestions.flatMap((s) => [s.path, ...s.duplicates]);
  assert.deepEqual([...seen].sort(), [...f.good, f.copy, f.nearCopy].sort());
  const groupOf = (p: string) => r.suggestions.find((s) => s.path === p || s.duplicates.includes(p))!;
  assert.equal(groupOf(f.copy), groupOf(f.good[0]!), 'the exact copy is collapsed with its original');
  assert.equal(groupOf(f.nearCopy), groupOf(f.good[1]!), 'the resaved copy is collapsed with its original');
  assert.equal(r.candidates, r.suggestions.length);
  assert.deepEqual(
    r.suggestions.map((s) => s.rank),
    r.suggestions.map((_, i) => i + 1),
  );
  assert.equal(r.suggestions[0]!.distance, null);
  assert.ok(r.suggestions.slice(1).every((s) => s.distance! >= 0 && s.distance! <= 2));
  assert.ok(r.calibration.calibrated);
  assert.equal(r.outliers, 0);
  // by default the sparsest fifth of the candidates is left out
  const robust = await suggest(f.ckpt, { unlabeled: f.inbox, count: 50 });
  assert.equal(robust.outliers, Math.floor(0.2 * robust.candidates));
  assert.equal(robust.suggestions.length, robust.candidates - robust.outliers);
  // the CSV holds the same rows
  const rows = parseCsv(readFileSync(out, 'utf8'));
  assert.equal(rows.length, r.suggestions.length + 1);
  assert.deepEqual(
    rows.slice(1).map((x) => x[1]),
    r.suggestions.map((s) => resolve(s.path)),
  );
});

test("the numbers are the served model's calibrated probabilities; a classifier of the caller's is used and left open", async () => {
  using clf = await classifier(f.ckpt);
  const before = liveTensors();
  const r = await suggest(clf, { unlabeled: f.inbox, count: 3, uncertainty: 'entropy', poolFactor: 1, outlierFraction: 0 });
  assert.equal(liveTensors(), before, 'tensors leaked');
  assert.equal(r.suggestions.length, 3);
  for (const s of r.suggestions) {
    const c = await clf.classify(s.path, { topK: 3 });
    const p = c.predictions.map((x) => x.score);
    assert.equal(s.predictedClass, c.predictions[0]!.label);
    assert.equal(s.runnerUp, c.predictions[1]!.label);
    assert.ok(Math.abs(s.confidence - p[0]!) < 1e-5, `${s.confidence} vs ${p[0]}`);
    assert.ok(Math.abs(s.margin - (p[0]! - p[1]!)) < 1e-5);
    const h = -p.reduce((acc, q) => acc + (q > 0 ? q * Math.log(q) : 0), 0);
    assert.ok(Math.abs(s.entropy - h) < 1e-4, `${s.entropy} vs ${h}`);
  }
  // pool factor 1 with entropy: the three largest entropies among the usable photos' groups
  const all = await suggest(clf, { unlabeled: f.inbox, count: 50, uncertainty: 'entropy', outlierFraction: 0 });
  const top3 = all.suggestions
    .map((s) => s.entropy)
    .sort((a, b) => b - a)
    .slice(0, 3);
  assert.deepEqual(
    r.suggestions.map((s) => s.entropy).sort((a, b) => b - a),
    top3,
  );
  assert.ok((await clf.classify(f.good[0]!)).predictions.length > 0, 'the classifier still works');
  // the uncalibrated original answers at temperature 1: other probabilities for the same photos
  const raw = await suggest(f.fx.checkpoint, { unlabeled: f.inbox, count: 50, duplicateSimilarity: 1 });
  assert.deepEqual(raw.calibration, { calibrated: false, temperature: 1 });
  const t = all.calibration.temperature;
  assert.ok(Math.abs(t - 1) > 0.01, `the fixture's calibration has temperature ${t}`);
  const s0 = r.suggestions[0]!;
  const same = raw.suggestions.find((x) => x.path === s0.path) ?? raw.suggestions.find((x) => x.duplicates.includes(s0.path))!;
  if (same.path === s0.path) assert.ok(Math.abs(same.entropy - s0.entropy) > 1e-3, `${same.entropy} vs ${s0.entropy}`);
});

test('labelled photos are centres: counted, picks measured from them, their near-duplicates left out', async () => {
  const labelled = join(dir, 'labelled');
  mkdirSync(join(labelled, 'class_1'), { recursive: true });
  copyFileSync(f.good[2]!, join(labelled, 'class_1', 'same-as-photo-2.png'));
  for (const p of f.fx.photos.class_0!.slice(0, 2)) copyFileSync(p, join(labelled, basename(p)));
  const r = await suggest(f.ckpt, { unlabeled: f.inbox, labeled: labelled, count: 2 });
  assert.equal(r.labeled, 3);
  assert.ok(
    r.nearLabeled.some((x) => x.path === f.good[2] && x.similarity > 0.999),
    JSON.stringify(r.nearLabeled),
  );
  assert.ok(!r.suggestions.some((s) => s.path === f.good[2] || s.duplicates.includes(f.good[2]!)));
  assert.equal(r.suggestions.length, 2);
  assert.ok(r.suggestions.every((s) => s.distance !== null && s.distance >= 0));
});

test('the quality gate can be turned off (labelled photos are read whatever their quality)', async () => {
  using model = await loadLibtorchModel(f.ckpt);
  const files = [f.dark, f.good[0]!, f.corrupt];
  const gated = await embedPhotos(model, files);
  assert.deepEqual(gated.paths, [f.good[0]]);
  assert.deepEqual(
    gated.lowQuality.map((q) => q.path),
    [f.dark],
  );
  const all = await embedPhotos(model, files, { qualityGate: false, batchSize: 1 });
  assert.deepEqual(all.paths, [f.dark, f.good[0]]);
  assert.equal(all.skipped.count, 1);
  assert.equal(all.probabilities.length, 2 * model.classes.length);
  assert.equal(all.embeddings.length, 2 * all.embeddingSize);
  // the same rows whatever the batch size
  const row = (e: typeof all, i: number) => Array.from(e.embeddings.subarray(i * e.embeddingSize, (i + 1) * e.embeddingSize));
  row(all, 1).forEach((v, k) => assert.ok(Math.abs(v - row(gated, 0)[k]!) < 1e-4));
});

test('refused before any work: a missing checkpoint or folder, an empty folder, a count that is not a positive integer', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const cases: [Promise<unknown>, RegExp][] = [
    [suggest(join(dir, 'nope.safetensors'), { unlabeled: f.inbox, count: 1 }), /checkpoint not found/],
    [suggest(f.ckpt, { unlabeled: join(dir, 'missing'), count: 1 }), /unlabeled folder not found/],
    [suggest(f.ckpt, { unlabeled: empty, count: 1 }), /no photos in/],
    [suggest(f.ckpt, { unlabeled: f.inbox, count: 0 }), /count must be a positive integer, got 0/],
    [suggest(f.ckpt, { unlabeled: f.inbox, count: 2.5 }), /positive integer/],
    [suggest(f.ckpt, { unlabeled: f.inbox, count: 1, labeled: join(dir, 'missing') }), /labeled folder not found/],
    [suggest(f.ckpt, { unlabeled: f.inbox, count: 1, poolFactor: 0.5 }), /pool factor/],
    [suggest(f.ckpt, { unlabeled: f.inbox, count: 1, outlierFraction: 1 }), /outlier fraction/],
    [suggest('model.onnx', { unlabeled: f.inbox, count: 1 }), /not an ONNX file/],
  ];
  for (const [p, msg] of cases) await assert.rejects(p, (e: Error) => e instanceof SuggestError && msg.test(e.message));
  assert.ok(!existsSync(join(dir, 'nope.safetensors')));
});
