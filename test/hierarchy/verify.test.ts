import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HierarchyError, UnknownClaimError, findClaim, hierarchyFromMapping, hierarchyFromPaths, verifyClaimAtLevel } from '../../src/hierarchy/index.js';
import { four } from './helpers.js';

// BMW 0.98 and BMW X5 SUV 0.95 are confident; the series, X5 2007 at 0.55, is not (< 0.6).
const probs = [0.02, 0.03, 0.55, 0.4];
const thresholds = [0.8, 0.7, 0.6];

test('a claim is decided at its own level: make and model match, the series is uncertain', () => {
  const h = four();
  const decide = (claim: string) => verifyClaimAtLevel(h, probs, claim, thresholds);
  const make = decide('  bmw ');
  assert.deepEqual([make.decision, make.claimed, make.level, make.rank, make.threshold], ['match', 'BMW', 'make', 1, 0.8]);
  assert.ok(Math.abs(make.score - 0.98) < 1e-12);
  assert.equal(make.answer.deepestConfident, 1);
  assert.equal(decide('BMW   X5 SUV').decision, 'match');
  const series = decide('BMW X5 SUV 2007');
  assert.deepEqual([series.decision, series.level, series.rank], ['uncertain', 'series', 1]);
  assert.match(series.reason, /55\.0%.*threshold 60\.0%/);
  assert.equal(decide('BMW X5 SUV 2012').decision, 'uncertain');
});

test('a claim the confident answer contradicts, at its level or above, is a mismatch', () => {
  const h = four();
  const decide = (claim: string) => verifyClaimAtLevel(h, probs, claim, thresholds);
  const audi = decide('Audi');
  assert.equal(audi.decision, 'mismatch');
  assert.match(audi.reason, /confidently 'BMW' \(98\.0%\) at the make level, not 'Audi'/);
  // Right make, but the model is confidently X5: wrong at the model level, for the model and its series.
  assert.match(decide('BMW X3 SUV').reason, /at the model level, not 'BMW X3 SUV'/);
  assert.equal(decide('BMW X3 SUV 2012').decision, 'mismatch');
  assert.equal(decide('Audi A4 Sedan 2012').decision, 'mismatch');
});

test('with nothing confident, a claim scoring at most mismatchMaxScore below another is a mismatch, else uncertain', () => {
  const h = four();
  const p = [0.05, 0.45, 0.5, 0];
  const never = [Infinity, Infinity, Infinity];
  const decide = (claim: string, mismatchMaxScore?: number) =>
    verifyClaimAtLevel(h, p, claim, never, mismatchMaxScore === undefined ? {} : { mismatchMaxScore }).decision;
  assert.equal(decide('Audi'), 'mismatch'); // 0.05 against BMW's 0.95
  assert.equal(decide('Audi', 0.01), 'uncertain');
  assert.equal(decide('BMW X3 SUV'), 'uncertain'); // 0.45
  assert.equal(decide('BMW X5 SUV 2012'), 'mismatch'); // 0
  assert.equal(decide('BMW'), 'uncertain'); // 0.95 but never confident
  // A claim at the bottom of a level where every node scores 0 is not "preferred less" by anyone.
  assert.equal(verifyClaimAtLevel(h, [0, 0, 0, 0], 'Audi', never).decision, 'uncertain');
});

test('claims name one node: unknown claims list the closest names, folder paths accept spaces', () => {
  const h = four();
  assert.throws(
    () => verifyClaimAtLevel(h, probs, 'BMW X5 2007', thresholds),
    (e: Error) => e instanceof UnknownClaimError && e.claimed === 'BMW X5 2007' && e.closest.includes('BMW X5 SUV 2007') && /closest/.test(e.message),
  );
  assert.throws(() => verifyClaimAtLevel(h, probs, 'BMW', [0.5, 0.5]), /one threshold per level/);
  const paths = hierarchyFromPaths(['Audi/S4 Sedan/2012', 'Audi/S4 Sedan/2007', 'BMW/M3 Coupe/2012']);
  assert.deepEqual(findClaim(paths, 'audi s4 sedan'), { level: 1, index: 0 });
  assert.deepEqual(findClaim(paths, 'Audi/S4 Sedan/2007'), { level: 2, index: 1 });
  // Names equal but for case are told apart by exact spelling; an inexact spelling is ambiguous.
  const cased = hierarchyFromMapping(['x', 'y'], { levels: ['g', 'c'], classes: { x: ['Audi'], y: ['AUDI'] } });
  assert.deepEqual(findClaim(cased, 'AUDI'), { level: 0, index: 1 });
  assert.throws(
    () => findClaim(cased, 'audi'),
    (e: Error) => e instanceof HierarchyError && /names several nodes/.test(e.message),
  );
});
