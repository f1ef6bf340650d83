import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/data/index.js';

test('Rng streams are fixed by their seed parts and independent across parts', () => {
  const a = Rng.derive(42, 'sample', 3, 17);
  const b = Rng.derive(42, 'sample', 3, 17);
  const seqA = Array.from({ length: 8 }, () => a.uint32());
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.uint32()),
    seqA,
  );
  for (const other of [
    Rng.derive(42, 'sample', 3, 18),
    Rng.derive(42, 'sample', 4, 17),
    Rng.derive(43, 'sample', 3, 17),
    Rng.derive(42, 'shuffle', 3, 17),
    Rng.derive(42 + 2 ** 32, 'sample', 3, 17),
  ]) {
    assert.notDeepEqual(
      Array.from({ length: 8 }, () => other.uint32()),
      seqA,
    );
  }
});

test('Rng distributions: uniform, integers without bias, normal, beta, permutations', () => {
  const rng = new Rng('dist');
  const n = 20000;
  let sum = 0;
  const hist = new Array<number>(7).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    hist[rng.int(7)]!++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(
    hist.every((h) => Math.abs(h - n / 7) < 0.06 * (n / 7)),
    `int(7) histogram ${hist}`,
  );
  let m = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    m += x;
    v += x * x;
  }
  assert.ok(Math.abs(m / n) < 0.03 && Math.abs(v / n - 1) < 0.04);
  let bm = 0;
  for (let i = 0; i < 5000; i++) bm += rng.beta(2, 6);
  assert.ok(Math.abs(bm / 5000 - 0.25) < 0.01, `Beta(2, 6) mean ${bm / 5000}`);
  let small = 0;
  for (let i = 0; i < 2000; i++) small += rng.beta(0.2, 0.2) < 0.1 ? 1 : 0;
  assert.ok(small > 600 && small < 1000, `Beta(0.2, 0.2) mass near 0: ${small}`);
  const p = rng.permutation(50);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    [...Array(50).keys()],
  );
  assert.throws(() => rng.int(0), /positive integer/);
});
