// Bad shapes, dtypes and arguments raise JS errors that carry libtorch's message; the
// process survives, keeps working and leaks nothing. The messages are checked against
// PyTorch's for the same mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, scope, tensor, liveTensors, F, type Tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';

const mistakes: [string, (t: Record<string, Tensor>) => unknown, string, RegExp][] = [
  [
    'broadcast mismatch',
    (t) => t.a!.add(t.b!),
    "t['a'] + t['b']",
    /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
  ],
  ['matmul shapes', (t) => t.a!.matmul(t.a!), "t['a'] @ t['a']", /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/],
  ['view of a transposed tensor', (t) => t.a!.t().view(6), "t['a'].t().view(6)", /view size is not compatible/],
  ['reshape to a wrong size', (t) => t.a!.reshape(4, 2), "t['a'].reshape(4, 2)", /shape '\[4, 2\]' is invalid for input of size 6/],
  ['dimension out of range', (t) => t.a!.sum(3), "t['a'].sum(3)", /Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)/],
  [
    'mean of integers',
    (t) => t.i!.mean(),
    "t['i'].mean()",
    /mean\(\): could not infer output dtype\. Input dtype must be either a floating point or complex dtype\. Got: Long/,
  ],
  ['float index', (t) => t.a!.indexSelect(0, t.b!), "t['a'].index_select(0, t['b'])", /index_select\(\): Expected dtype int(32 or int)?64 for index/],
  ['permute with a repeated dim', (t) => t.a!.permute(0, 0), "t['a'].permute(0, 0)", /permute\(\): duplicate dims are not allowed/],
  [
    'conv2d weight rank',
    (t) => F.conv2d(t.a!.view(1, 1, 2, 3), t.b!),
    "F.conv2d(t['a'].view(1, 1, 2, 3), t['b'])",
    /weight should have at least three dimensions/,
  ],
  [
    'cross entropy with integer targets of the input shape',
    (t) => F.crossEntropy(t.a!, t.a!.long()),
    "F.cross_entropy(t['a'], t['a'].long())",
    /Expected floating point type for target with class probabilities, got Long/,
  ],
];

const cases: ParityCase[] = mistakes.map(([name, js, py, error]) => ({
  name: `${name} fails on both sides`,
  inputs: { a: randn([2, 3]), b: randn([4]), i: randint(0, 5, [3]) },
  js: (t) => js(t) as Tensor,
  py,
  error,
}));
parityTests(cases);

test("finegrain error messages match PyTorch's for the same mistakes", { skip: oracleSkip() }, () => {
  // The first line of the message: PyTorch appends no context, libtorch's text is the same.
  const inputs = { a: randn([2, 3]), b: randn([4]), i: randint(0, 5, [3]) };
  const messages: string[] = [];
  let code = 'import re\n_msgs = []\n';
  for (const [, js, py] of mistakes.slice(0, 6)) {
    try {
      js(inputs);
      messages.push('no error');
    } catch (e) {
      messages.push((e as Error).message.split('\n')[0]!);
    }
    code += `try:\n    (lambda t: ${py})(inputs)\n    _msgs.append('no error')\nexcept Exception as e:\n    _msgs.append(str(e).split('\\n')[0])\n`;
  }
  code += "outputs['m'] = torch.tensor(list('\\x00'.join(_msgs).encode()), dtype=torch.uint8)\n";
  const out = torchOracle(code, inputs);
  const py = Buffer.from(out.m!.toTypedArray() as Uint8Array)
    .toString('utf8')
    .split('\0');
  assert.deepEqual(messages, py);
  for (const t of [...Object.values(inputs), ...Object.values(out)]) t.dispose();
});

test('errors are JS Errors (TypeError for wrong argument types), and the process goes on', () => {
  scope(() => {
    const a = randn([2, 3]);
    assert.throws(
      () => a.add(randn([4])),
      (e: unknown) => e instanceof Error && !(e instanceof TypeError) && /size of tensor a/.test(e.message),
    );
    assert.throws(() => a.sum('x' as unknown as number), TypeError);
    assert.throws(() => randn([1e6, 1e6]), /can't allocate memory|out of memory/);
    const d = randn([2]);
    d.dispose();
    assert.throws(() => d.add(1), /disposed/);
    // still working
    assert.deepEqual(tensor([1, 2]).add(1).toArray(), [2, 3]);
  });
});

test('a failing operation leaks nothing, inside or outside a scope', () => {
  const a = randn([2, 3]);
  const b = randn([4]);
  const before = liveTensors();
  for (let i = 0; i < 200; i++) {
    assert.throws(() => a.add(b));
    assert.throws(() => scope(() => a.mul(2).add(b)));
    assert.throws(() => F.conv2d(a, b));
  }
  assert.equal(liveTensors(), before);
  a.dispose();
  b.dispose();
});
