// dispose() defers the native free to the addon's next call (native/src/shim.h). These tests
// show that this never changes what a user sees: the memory is back before anything else
// runs natively, a disposed tensor cannot be used, and more disposals than the pending list
// holds are flushed on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensors, randn, scope, zeros } from '../../src/index.js';

test('a disposed tensor is freed before the next native call sees the table', () => {
  const before = liveTensors();
  const t = randn([1000]);
  assert.equal(liveTensors(), before + 1);
  t.dispose();
  assert.equal(liveTensors(), before);
  assert.equal(t.isDisposed, true);
});

test('using a disposed tensor throws, even while its free is still pending', () => {
  const a = randn([4]);
  const b = randn([4]);
  b.dispose(); // pending: no native call has happened since
  assert.throws(() => a.add(b), /disposed/);
  a.dispose();
});

test('more disposals than the pending list holds are all freed', () => {
  const before = liveTensors();
  const many = Array.from({ length: 3000 }, () => zeros([2]));
  for (const t of many) t.dispose(); // 3000 > the list's 1024: flushed on the way
  assert.equal(liveTensors(), before);
});

test('a handle slot reused after a deferred free is not freed again', () => {
  const a = randn([3]);
  a.dispose();
  const b = randn([3]); // drains a's free, may reuse a's slot with a new generation
  a.dispose(); // second dispose is a no-op
  assert.equal(b.isDisposed, false);
  assert.equal(b.add(b).shape[0], 3);
  b.dispose();
});

test('tensors disposed inside a scope are not freed twice when it ends', () => {
  const before = liveTensors();
  const x = randn([8]);
  scope(() => {
    for (let i = 0; i < 100; i++) x.add(x).dispose();
    x.mul(x); // left to the scope
  });
  assert.equal(liveTensors(), before + 1);
  x.dispose();
  assert.equal(liveTensors(), before);
});
