import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration, parseDuration } from '../../src/train/plan/duration.js';
import { epochSecondsAt, planBudget, replanBudget } from '../../src/train/plan/budget-plan.js';
import { baseSizeFor, finalSizeFor, recommendRecipe } from '../../src/train/plan/recipe.js';
import { parseTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { train, type TrainResult } from '../../src/train/trainer.js';
import { raceLearningRates } from '../../src/train/plan/race.js';
import { liveTensors } from '../../src/index.js';
import { writeTinyDataset } from './tiny-dataset.js';

test('durations read as people write them, and nonsense is refused by name', () => {
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('2.5h'), 9000);
  assert.equal(parseDuration('45'), 45);
  assert.equal(parseDuration(12), 12);
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(725), '12m05s');
  for (const bad of ['soon', '30x', '-5m', '0m', '', '3 m extra']) assert.throws(() => parseDuration(bad), /budget/, bad);
  assert.throws(() => parseTrainConfig({ data: 'd', budget: 'tonight' }), /budget: cannot read 'tonight'/);
});

// A machine like the 2-core Xeon on MobileNetV2: 224 px at ~0.035 s per image, 448 at 4×.
const SPEED = new Map([
  [224, 0.035],
  [448, 0.14],
]);
const CARS = { images: 835, valImages: 97, baseSize: 224, finalSize: 448, secondsPerImage: SPEED };

test('a budget plan fits its epochs inside the budget, ends at the final size, and grows with the budget', () => {
  const plans = [300, 900, 1800, 3600].map((budgetSeconds) => planBudget({ ...CARS, budgetSeconds, reserveSeconds: 20 }));
  for (const [i, p] of plans.entries()) {
    const budget = [300, 900, 1800, 3600][i]!;
    assert.ok(p.projectedSeconds <= budget - 20, `${budget} s: projected ${p.projectedSeconds}`);
    assert.ok(p.epochs >= 3, `${budget} s: ${p.epochs} epochs`);
    // The plan's own arithmetic: epochs at each size times their cost.
    const cost = (p.epochs - p.finalEpochs) * epochSecondsAt(CARS, p.imageSize) + p.finalEpochs * epochSecondsAt(CARS, p.finalImageSize);
    assert.ok(Math.abs(cost - p.projectedSeconds) < 1e-6);
  }
  for (let i = 1; i < plans.length; i++) assert.ok(plans[i]!.projectedSeconds > plans[i - 1]!.projectedSeconds, 'more budget, more training');
  assert.equal(plans[2]!.finalImageSize, 448);
  assert.ok(plans[2]!.finalEpochs >= 2);
  // Five minutes cannot afford 448-px epochs: the final size comes down, or the final phase goes.
  assert.ok(plans[0]!.finalImageSize < 448 || plans[0]!.finalEpochs === 0);
  assert.ok(plans[3]!.epochs - plans[3]!.finalEpochs <= 40 && plans[3]!.finalEpochs <= 12, 'caps hold');
});

test('a budget below one epoch plans one epoch and says it will overrun', () => {
  const p = planBudget({ ...CARS, budgetSeconds: 10 });
  assert.equal(p.epochs, 1);
  assert.equal(p.finalEpochs, 0);
  assert.match(p.reasons.join('\n'), /below one epoch/);
});

test('re-planning splits the time left as the plan did: slower machines lose epochs, faster ones gain them up to the caps', () => {
  const plan = { epochs: 20, finalEpochs: 5, imageSize: 224, finalImageSize: 448 };
  const at = { plan, epochsDone: 5, budgetSeconds: 1800, reserveSeconds: 0, finalShare: 0.45, setupSeconds: 0 };
  const asPlanned = replanBudget({ ...at, usedSeconds: 200, epochSeconds: { base: 40, final: 160 } });
  // 1600 s left of 1800 s of training: 0.45 × 1800 / 160 → 5 final epochs; (1600 − 800) / 40 → 20 base
  // epochs — but a longer plan keeps half an epoch (20 s) to spare: (1580 − 800) / 40 → 19.
  assert.deepEqual(asPlanned && { epochs: asPlanned.epochs, finalEpochs: asPlanned.finalEpochs }, { epochs: 29, finalEpochs: 5 });
  const slower = replanBudget({ ...at, usedSeconds: 200, epochSeconds: { base: 80, final: 320 } })!;
  assert.ok(slower.epochs < 20, `${slower.epochs} epochs`);
  assert.ok(slower.finalEpochs >= 1, 'the final phase keeps an epoch while one fits');
  const cost = (r: { epochs: number; finalEpochs: number }, e: { base: number; final: number }) =>
    (r.epochs - r.finalEpochs - 5) * e.base + r.finalEpochs * e.final;
  assert.ok(cost(slower, { base: 80, final: 320 }) <= 1600);
  const faster = replanBudget({ ...at, usedSeconds: 200, epochSeconds: { base: 10, final: 40 }, maxEpochs: 40, maxFinalEpochs: 12 })!;
  assert.equal(faster.finalEpochs, 12, 'final epochs capped');
  assert.equal(faster.epochs - faster.finalEpochs, 40, 'base epochs capped');
  const same = replanBudget({ ...at, usedSeconds: 200, epochSeconds: { base: 40, final: 160 } });
  const again = replanBudget({
    ...at,
    plan: { ...plan, epochs: same!.epochs, finalEpochs: same!.finalEpochs },
    usedSeconds: 200,
    epochSeconds: { base: 40, final: 160 },
  });
  assert.equal(again, null, 'a plan that fits stands');
  // In the final phase with no time left the run ends.
  const late = replanBudget({ plan, epochsDone: 17, budgetSeconds: 1800, usedSeconds: 1790, epochSeconds: { base: 40, final: 150 } })!;
  assert.equal(late.epochs, 17);
});

test('the recipe fills only what the input leaves out, and fine-tuning differs from scratch', () => {
  const facts = { images: 835, classes: 33, minPerClass: 20, medianPerClass: 25, medianSide: 319 };
  const ft = recommendRecipe({ data: 'd', pretrained: 'imagenet', lr: 0.002 }, facts, { budgeted: false });
  assert.equal(ft.values.optimizer, 'adamw');
  assert.equal(ft.values.lr, undefined, 'an explicit lr wins');
  assert.ok(ft.values.headLr! > 0);
  assert.equal(ft.values.imageSize, 320, "cars33's 319-px photos train at their own size");
  assert.equal(ft.values.finalImageSize, undefined, 'a base at the photos’ size needs no final phase');
  const cub = recommendRecipe({ data: 'd', pretrained: 'imagenet' }, { ...facts, medianSide: 227 }, { budgeted: false });
  assert.deepEqual([cub.values.imageSize, cub.values.finalImageSize], [224, 320], "cub100's 227-px photos: 224, then 320");
  assert.ok(ft.reasons.every((r) => !r.startsWith('lr ')));
  assert.ok(ft.reasons.some((r) => r.startsWith('optimizer adamw')));
  const scratch = recommendRecipe({ data: 'd' }, facts, { budgeted: false });
  assert.deepEqual(scratch.values, {}, "from scratch the schema's defaults stand");
  assert.equal(finalSizeFor({ medianSide: 227 }, 224, 'balanced'), 320);
  assert.equal(finalSizeFor({ medianSide: 2000 }, 224, 'balanced'), 320, 'a step of at most 1.43 × the base');
  assert.equal(finalSizeFor({ medianSide: 319 }, 320, 'balanced'), 320, 'none at the photos’ own size');
  assert.equal(finalSizeFor({ medianSide: 319 }, 224, 'fast'), 224);
  assert.equal(baseSizeFor({ medianSide: 319 }), 320);
  assert.equal(baseSizeFor({ medianSide: 100 }), 224);
  assert.equal(baseSizeFor({ medianSide: 3000 }), 448);
});

test('a budget run on the fixtures plans, re-plans, ends inside its budget and resumes on its plan', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-budget-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 16, size: 96 });
  const base = {
    data: join(dir, 'data'),
    out: join(dir, 'runs'),
    model: 'regnetx_002',
    imageSize: 64,
    batchSize: 8,
    workers: 2,
    lr: 0.05,
    augment: 'none',
    precision: 'float32',
    valFraction: 0.25,
    quiet: true,
    budget: '12s',
  } as const;
  const before = liveTensors();
  const lines: string[] = [];
  const result = await train({ ...base, name: 'whole' }, { log: (l) => lines.push(l) });
  assert.equal(liveTensors(), before, 'planning and training leak no tensors');
  assert.ok(result.seconds <= 12 * 1.05 + 0.5, `ran ${result.seconds.toFixed(1)} s of a 12 s budget`);
  assert.ok(result.seconds >= 12 * 0.5, `used ${result.seconds.toFixed(1)} s: a plan should spend most of its budget`);
  const plan = JSON.parse(readFileSync(join(result.runDir, 'plan.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(result.runDir, 'config.json'), 'utf8'));
  assert.equal(plan.budget.seconds, 12);
  assert.ok(
    plan.reasons.some((r: string) => r.startsWith('budget: ')),
    'the plan says why',
  );
  assert.ok(lines.some((l) => l.startsWith('plan: ')));
  assert.equal(result.epochs, config.epochs, 'the run trained the epochs its (re-)plan ended with');
  assert.equal(config.finalImageSize, 96, 'a 64-px base below the 96-px photos: a final phase at 1.43 × the base, to a multiple of 32');
  const metrics = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(metrics.at(-1).imageSize, config.finalEpochs > 0 ? 96 : 64);
  assert.ok(metrics.every((m: { budgetUsed: number }) => m.budgetUsed > 0 && m.budgetUsed <= 12.6));

  // Stopped after one epoch and resumed: the seconds used carry over and the plan is followed.
  const first = await train({ ...base, name: 'resumed' }, { log: () => {}, stopAfterEpochs: 1 });
  const resumed = await train({} as never, { resume: first.runDir, log: () => {} });
  const config2 = JSON.parse(readFileSync(join(first.runDir, 'config.json'), 'utf8'));
  assert.equal(resumed.epochs, config2.epochs);
  const m2 = readFileSync(join(first.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (let i = 1; i < m2.length; i++) assert.ok(m2[i].budgetUsed > m2[i - 1].budgetUsed, 'the budget clock goes on across the resume');
});

test('the race: successive halving keeps the better half, finishes it, and picks the best on validation', async () => {
  const calls: { name?: string; resume?: string; stopAfterEpochs?: number; lr?: number }[] = [];
  // A fake trainer: validation accuracy by learning rate, better for the finalists after more epochs.
  const score: Record<string, [number, number]> = { '0.005': [0.5, 0.62], '0.01': [0.55, 0.6], '0.02': [0.3, 0.9] };
  const fake = async (input: TrainConfig, options: { resume?: string; stopAfterEpochs?: number }) => {
    calls.push({ name: input.name, resume: options.resume, stopAfterEpochs: options.stopAfterEpochs, lr: input.lr });
    const key = options.resume ? options.resume.split('lr-')[1]! : String(input.lr);
    const [first, last] = score[String(Number(key))]!;
    return { runDir: `/runs/race/lr-${key}`, bestValAccuracy: options.resume ? last : first } as TrainResult;
  };
  const config = parseTrainConfig({ data: 'd', lr: 0.01, headLr: 0.1 });
  const race = await raceLearningRates(config, '/runs/x', 3, () => {}, fake);
  assert.deepEqual(
    calls.filter((c) => c.stopAfterEpochs === 1).map((c) => c.lr),
    [0.005, 0.01, 0.02],
    'every candidate trains one epoch',
  );
  // 0.02 is worst after one epoch (0.3): out, although it would have won later.
  assert.deepEqual(
    calls.filter((c) => c.resume).map((c) => c.resume),
    ['/runs/race/lr-0.01', '/runs/race/lr-0.005'],
  );
  assert.equal(race.lr, 0.005, 'the best finalist after the whole schedule');
  assert.equal(race.headLr, 0.05, 'the head rate scales with it');
  assert.deepEqual(
    race.rows.map((r) => [r.lr, r.epochs, r.winner]),
    [
      [0.005, 3, true],
      [0.01, 3, false],
      [0.02, 1, false],
    ],
  );
  // No time for a second round: the first round decides.
  calls.length = 0;
  const quick = await raceLearningRates(config, '/runs/x', 3, () => {}, fake, 0);
  assert.equal(calls.filter((c) => c.resume).length, 0);
  assert.equal(quick.lr, 0.01);
});

test('preset best on a budget too small for a race says so, still checks flip TTA on validation, and stays inside the budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-best-'));
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 16, size: 48 });
  const lines: string[] = [];
  const before = liveTensors();
  const result = await train(
    {
      data: join(dir, 'data'),
      out: join(dir, 'runs'),
      name: 'best',
      model: 'regnetx_002',
      imageSize: 32,
      batchSize: 8,
      workers: 2,
      augment: 'none',
      precision: 'float32',
      valFraction: 0.25,
      quiet: true,
      budget: '15s',
      preset: 'best',
    },
    { log: (l) => lines.push(l) },
  );
  assert.equal(liveTensors(), before, 'the TTA check leaks no tensors');
  assert.ok(result.seconds <= 15 * 1.05 + 0.5, `ran ${result.seconds.toFixed(1)} s of a 15 s budget`);
  const plan = JSON.parse(readFileSync(join(result.runDir, 'plan.json'), 'utf8'));
  assert.ok(plan.reasons.includes('race: none, the budget is too small for one'));
  assert.equal(plan.race, undefined);
  assert.equal(typeof plan.tta.flips, 'boolean');
  assert.ok(plan.tta.plain >= 0 && plan.tta.plain <= 1 && plan.tta.flipped >= 0 && plan.tta.flipped <= 1);
  assert.ok(lines.some((l) => l.startsWith('tta: ')));
});
