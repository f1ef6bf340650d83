// Memory stays flat over a long training run: 5,000 SGD steps of a small CNN
// (conv2d + relu + max-pool + linear, cross-entropy) on fresh random 8x3x16x16 batches.
// After warm-up the number of live tensors must not change at all, and RSS may grow by
// less than 20 MB (allocator and JIT noise, not a leak of ~100 tensors per step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { F, SGD, liveTensors, manualSeed, randint, randn, scope, zeros } from '../../src/index.js';

const STEPS = 5000;
const WARMUP = 500;
const MB = 1024 * 1024;

// A full GC before each measurement, so RSS counts live memory, not uncollected garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test(`memory is flat over ${STEPS} training steps of a small CNN`, () => {
  manualSeed(0);
  const params = {
    convW: randn([8, 3, 3, 3]).mul(0.2),
    convB: zeros([8]),
    fcW: randn([10, 8 * 8 * 8]).mul(0.02),
    fcB: zeros([10]),
  };
  const list = Object.values(params).map((p) => p.requiresGrad_().keep());
  const opt = new SGD(list, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });

  const step = (): number =>
    scope(() => {
      const x = randn([8, 3, 16, 16]);
      const y = randint(0, 10, [8]);
      const h = F.maxPool2d(F.relu(F.conv2d(x, params.convW, params.convB, { padding: 1 })), 2);
      const loss = F.crossEntropy(F.linear(h.flatten(1), params.fcW, params.fcB), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });

  const t0 = performance.now();
  let first = 0;
  for (let i = 0; i < WARMUP; i++) first += step();
  gc();
  const liveAtWarmup = liveTensors();
  const rssAtWarmup = process.memoryUsage().rss;
  let losses = 0;
  for (let i = WARMUP; i < STEPS; i++) {
    const l = step();
    assert.ok(Number.isFinite(l), `loss became ${l} at step ${i}`);
    if (i >= STEPS - WARMUP) losses += l;
  }
  gc();
  const liveAtEnd = liveTensors();
  const rssAtEnd = process.memoryUsage().rss;
  const seconds = (performance.now() - t0) / 1000;
  const growth = (rssAtEnd - rssAtWarmup) / MB;
  console.log(
    `${STEPS} steps in ${seconds.toFixed(1)} s (${(STEPS / seconds).toFixed(0)} steps/s); ` +
      `live tensors ${liveAtWarmup} -> ${liveAtEnd}; RSS ${(rssAtWarmup / MB).toFixed(1)} -> ${(rssAtEnd / MB).toFixed(1)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB); ` +
      `mean loss first ${WARMUP} ${(first / WARMUP).toFixed(3)}, last ${WARMUP} ${(losses / WARMUP).toFixed(3)}`,
  );
  assert.equal(liveAtEnd, liveAtWarmup, 'live tensors changed after warm-up: something leaks per step');
  assert.ok(growth < 20, `RSS grew by ${growth.toFixed(1)} MB after warm-up`);
  // The model state stays sane (labels are random, so the loss cannot go below chance by much).
  assert.ok(losses / WARMUP < 3, `loss diverged: ${losses / WARMUP}`);

  opt.dispose();
  for (const p of list) {
    p.grad = null;
    p.dispose();
  }
});
