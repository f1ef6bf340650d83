// preadTensors: many tensors filled from one file in parallel 8 MiB pieces must hold exactly the
// file's bytes at their positions, report short reads at end of file, and refuse bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { empty, preadTensor, preadTensors, scope } from '../../src/index.js';

test('preadTensors fills each tensor with the bytes at its position, in parallel pieces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-pread-'));
  const bytes = randomBytes(21 * 1024 * 1024 + 13);
  writeFileSync(join(dir, 'data.bin'), bytes);
  const fd = openSync(join(dir, 'data.bin'), 'r');
  try {
    scope(() => {
      const big = empty([17 * 1024 * 1024 + 3], { dtype: 'uint8' }); // three pieces
      const small = empty([5], { dtype: 'int16' });
      const none = empty([0], { dtype: 'float32' });
      const tail = empty([100], { dtype: 'uint8' }); // runs past the end
      const got = preadTensors([big, small, none, tail], fd, [7, 1, 0, bytes.length - 40]);
      assert.deepEqual(got, [big.byteSize, 10, 0, 40]);
      const same = (t: typeof big, at: number, n: number) => {
        const a = t.toTypedArray();
        return Buffer.from(a.buffer, a.byteOffset, n).equals(bytes.subarray(at, at + n));
      };
      assert.ok(same(big, 7, big.byteSize), 'the large tensor holds the file bytes 7..');
      assert.ok(same(small, 1, 10), 'an unaligned position');
      assert.ok(same(tail, bytes.length - 40, 40), 'a short read keeps what was there');
      // The single-tensor route takes the same pieces for a large tensor.
      const again = empty([big.numel], { dtype: 'uint8' });
      assert.equal(preadTensor(again, fd, 7), big.byteSize);
      assert.ok(same(again, 7, again.byteSize));
      assert.throws(() => preadTensors([small], fd, []), /1 tensors but 0 positions/);
      assert.throws(() => preadTensors([small], fd, [-1]), /non-negative/);
      assert.throws(() => preadTensors([empty([4, 4]).t()], fd, [0]), /contiguous CPU tensor/);
    });
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
