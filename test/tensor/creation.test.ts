import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, full, arange, randn, rand, randint, fromTypedArray, linspace, eye, manualSeed, scope } from '../../src/index.js';

test('tensor() infers shape and dtype from nested arrays', () => {
  scope(() => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(x.shape, [2, 3]);
    assert.equal(x.dtype, 'float32');
    assert.deepEqual(x.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(tensor([true, false]).dtype, 'bool');
    assert.deepEqual(tensor([1, 2], { dtype: 'int64' }).toArray(), [1, 2]);
    assert.deepEqual(tensor([1.5, 2], { dtype: 'bfloat16' }).toArray(), [1.5, 2]);
    assert.equal(tensor(3).item(), 3);
    assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  });
});

test('filled, ranged and random creation', () => {
  scope(() => {
    assert.deepEqual(zeros([2]).toArray(), [0, 0]);
    assert.deepEqual(ones([1, 2], { dtype: 'int32' }).toArray(), [[1, 1]]);
    assert.deepEqual(full([2], 7).toArray(), [7, 7]);
    assert.deepEqual(arange(3).toArray(), [0, 1, 2]);
    assert.equal(arange(3).dtype, 'int64');
    assert.deepEqual(arange(0, 1, 0.5).toArray(), [0, 0.5]);
    assert.deepEqual(linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
    assert.deepEqual(eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    const r = rand([1000]);
    assert.ok(r.min().item() >= 0 && r.max().item() < 1);
    const n = randn([20000]);
    assert.ok(Math.abs(n.mean().item()) < 0.05 && Math.abs(n.std().item() - 1) < 0.05);
    const k = randint(3, 5, [100]);
    assert.equal(k.dtype, 'int64');
    assert.ok(k.min().item() >= 3 && k.max().item() <= 4);
    assert.throws(() => zeros([-1]), /non-negative/);
  });
});

test('manualSeed makes random tensors reproducible', () => {
  scope(() => {
    manualSeed(42);
    const a = randn([5]);
    manualSeed(42);
    const b = randn([5]);
    assert.ok(a.equal(b));
  });
});

test('typed arrays in and out', () => {
  scope(() => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const x = fromTypedArray(src, [2, 3]);
    src[0] = 100; // the tensor owns a copy
    assert.deepEqual(Array.from(x.toTypedArray() as Float32Array), [1, 2, 3, 4, 5, 6]);
    // the view shares memory with the tensor
    const view = x.toTypedArrayView() as Float32Array;
    view[1] = 42;
    assert.equal(x.select(0, 0).select(0, 1).item(), 42);
    // non-contiguous tensors come out in row-major order
    assert.deepEqual(Array.from(x.t().toTypedArray() as Float32Array), [1, 4, 42, 5, 3, 6]);
    assert.throws(() => fromTypedArray(new Float32Array(5), [2, 3]), /needs 24 bytes/);
    const u8 = fromTypedArray(new Uint8Array([1, 2]), [2]);
    assert.equal(u8.dtype, 'uint8');
    const big = fromTypedArray(new BigInt64Array([1n, 2n]), [2]);
    assert.deepEqual(big.toArray(), [1, 2]);
  });
});
