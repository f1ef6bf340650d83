// Errors never abort the process: libtorch's exceptions (bad shapes, dtypes, impossible
// allocations, out-of-range indices inside parallel kernels) become JS Errors carrying
// libtorch's own message, and the engine keeps working afterwards. The risky cases run once
// here and once more in a child process, whose exit code must be 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fg from '../../src/index.js';
import { atenUntyped as aten } from '../../src/native/aten.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';

type Fg = typeof fg;

/**
 * The risky calls, each paired with the same call in PyTorch. Written against the module
 * object so the child process can run the very same functions from their source text.
 */
const RISKY: [name: string, run: (f: Fg, a: typeof aten) => unknown, python: string][] = [
  ['matmul shape mismatch', (f) => f.randn([2, 3]).matmul(f.randn([4, 5])), 'torch.randn(2, 3) @ torch.randn(4, 5)'],
  ['float index into indexSelect', (f) => f.randn([4, 3]).indexSelect(0, f.tensor([0, 1])), 'torch.randn(4, 3).index_select(0, torch.tensor([0., 1.]))'],
  ['impossible allocation', (f) => f.zeros([2 ** 50]), 'torch.zeros(2 ** 50)'],
  [
    'index out of range in a parallel kernel',
    (f) => f.randn([100000, 4]).indexSelect(0, f.tensor([0, 5, 1e8], { dtype: 'int64' })),
    'torch.randn(100000, 4).index_select(0, torch.tensor([0, 5, 100000000]))',
  ],
  ['invalid reshape', (f) => f.randn([6]).reshape([7]), 'torch.randn(6).reshape(7)'],
  ['cat of mismatched shapes', (f) => f.cat([f.randn([2, 3]), f.randn([2, 4])]), 'torch.cat([torch.randn(2, 3), torch.randn(2, 4)])'],
  ['view of a non-contiguous tensor', (f) => f.randn([4, 4]).t().view([16]), 'torch.randn(4, 4).t().view(16)'],
  [
    'integer division by zero',
    (f) => f.tensor([1], { dtype: 'int64' }).div(f.tensor([0], { dtype: 'int64' }), 'floor'),
    'torch.tensor([1]) // torch.tensor([0])',
  ],
  ['select out of range', (f) => f.randn([3]).select(0, 10), 'torch.randn(3).select(0, 10)'],
];

/** Further misuse without a PyTorch twin: [name, call, expected message]. */
const MISUSE: [string, (f: Fg, a: typeof aten) => unknown, RegExp][] = [
  ['unknown operator', (_f, a) => a('no_such_op').call(), /unknown operator aten::no_such_op/],
  ['a string where a tensor belongs', (_f, a) => a('add.Tensor').call('x', 'y'), /expected a tensor handle/],
  ['missing argument', (f, a) => a('add.Tensor').call(f.randn([1]).handle), /missing argument 'other'/],
  ['item() of many elements', (f) => f.randn([3]).item(), /exactly one element/],
  ['zero threads', (f) => f.setNumThreads(0), /at least one thread/],
  [
    'backward twice',
    (f) => {
      const w = f.randn([2], { requiresGrad: true });
      const l = w.mul(w).sum();
      l.backward();
      l.backward();
    },
    /second time/,
  ],
  [
    'foreach lists of different shapes',
    (f, a) => a('_foreach_add_.List').callVoid([f.randn([2]).handle], [f.randn([3]).handle]),
    /size of tensor a \(2\) must match/,
  ],
  [
    'an error inside scope() frees the scope',
    (f) =>
      f.scope(() => {
        f.randn([1000]);
        throw new Error('thrown inside scope');
      }),
    /thrown inside scope/,
  ],
];

/** A normal operation, to show the engine still works after each failure. */
function healthy(f: Fg): boolean {
  return f.scope(() => f.arange(4).mul(2).sum().item() === 12);
}

function runAll(f: Fg, a: typeof aten): { name: string; error: string | null; type: string; healthy: boolean }[] {
  return [...RISKY, ...MISUSE].map(([name, run]) => {
    let error: string | null = null;
    let type = '';
    try {
      f.scope(() => run(f, a));
    } catch (e) {
      error = (e as Error).message;
      type = (e as Error).constructor.name;
    }
    return { name, error, type, healthy: healthy(f) };
  });
}

test("libtorch errors become JS Errors with libtorch's message, and the engine goes on", { skip: oracleSkip() }, () => {
  const live = fg.liveTensors();
  const results = runAll(fg, aten);
  assert.equal(fg.liveTensors(), live, 'failed calls leaked tensors');
  // PyTorch's messages for the same calls, as bytes (the oracle returns tensors).
  const code = RISKY.map(
    ([, , py], i) => `
try:
    ${py}
    outputs['m${i}'] = torch.zeros(0, dtype=torch.uint8)
except Exception as e:
    outputs['m${i}'] = torch.tensor(list(str(e).split('\\n')[0].encode()), dtype=torch.uint8)
`,
  ).join('');
  const expected = torchOracle(code);
  RISKY.forEach(([name], i) => {
    const r = results[i]!;
    const py = Buffer.from(expected[`m${i}`]!.toTypedArray() as Uint8Array).toString();
    assert.ok(py.length > 0, `${name}: PyTorch raised nothing`);
    assert.equal(r.type, 'Error', `${name}: expected an Error, got ${r.type || 'none'}`);
    assert.ok(r.error?.includes(py), `${name}: message ${JSON.stringify(r.error)} lacks PyTorch's ${JSON.stringify(py)}`);
    assert.ok(r.healthy, `${name}: the engine stopped working afterwards`);
  });
  MISUSE.forEach(([name, , pattern], j) => {
    const r = results[RISKY.length + j]!;
    assert.match(r.error ?? '(no error)', pattern, name);
    assert.ok(r.healthy, `${name}: the engine stopped working afterwards`);
  });
});

test('a disposed tensor cannot be used, even when its slot is reused', () => {
  const t = fg.randn([3]);
  t.dispose();
  t.dispose(); // twice is fine
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /disposed/);
  assert.throws(() => t.shape, /disposed/);
  assert.throws(() => t.toArray(), /disposed/);
  assert.equal(String(t), 'Tensor(disposed)');
  // New tensors reuse freed slots; the stale handle must not reach them.
  const fresh = Array.from({ length: 8 }, () => fg.zeros([2]));
  assert.throws(() => t.add(1), /disposed/);
  const s = fg.scope(() => fg.ones([2]));
  const inner = fg.scope(() => {
    const tmp = fg.ones([2]);
    return { tmp, sum: tmp.sum().item() };
  });
  assert.equal(inner.sum, 2);
  fresh.forEach((x) => assert.deepEqual(x.toArray(), [0, 0]));
  const escaped = fg.scope(() => fg.ones([2]).add(1));
  const leaked: fg.Tensor[] = [];
  fg.scope(() => leaked.push(fg.ones([1]))); // escapes by closure, not by return: freed
  assert.throws(() => leaked[0]!.item(), /disposed/);
  for (const x of [...fresh, s, inner.tmp, escaped]) x.dispose();
});

test('no risky case aborts a child process: it exits 0 with every error caught', () => {
  const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const atenPath = fileURLToPath(new URL('../../src/native/aten.js', import.meta.url));
  const cases = [...RISKY, ...MISUSE].map(([name, run]) => `[${JSON.stringify(name)}, ${run.toString()}]`).join(',\n');
  const script = `
    const f = await import(${JSON.stringify(index)});
    const { atenUntyped: a } = await import(${JSON.stringify(atenPath)});
    const out = [];
    for (const [name, run] of [${cases}]) {
      let error = null;
      try { f.scope(() => run(f, a)); } catch (e) { error = e.message; }
      out.push({ name, error, healthy: f.scope(() => f.arange(4).mul(2).sum().item() === 12) });
    }
    // A disposed tensor too.
    const t = f.randn([2]); t.dispose();
    try { t.add(1); out.push({ name: 'disposed', error: null, healthy: true }); } catch (e) { out.push({ name: 'disposed', error: e.message, healthy: true }); }
    console.log(JSON.stringify(out));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.signal, null, `child killed by ${child.signal}: ${child.stderr}`);
  assert.equal(child.status, 0, `child exited with ${child.status}: ${child.stderr}`);
  const results = JSON.parse(child.stdout.trim().split('\n').pop()!) as { name: string; error: string | null; healthy: boolean }[];
  assert.equal(results.length, RISKY.length + MISUSE.length + 1);
  for (const r of results) {
    assert.ok(r.error, `${r.name}: no error in the child`);
    assert.ok(r.healthy, `${r.name}: the child's engine stopped working`);
  }
});
