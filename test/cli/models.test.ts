// `finegrain models`: parameter counts and GFLOPs against torchvision's own models (counted
// in Python with forward hooks on every Conv2d and Linear), the table, and its errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { runCli } from './cli-support.js';

interface Row {
  name: string;
  family: string;
  source: string;
  inputSize: number[];
  params: number;
  gflops: number | null;
}

function rows(filter: string, ...extra: string[]): Row[] {
  const r = runCli(['models', '--filter', filter, '--json', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Row[];
}

test("models --json: parameters and multiply-adds equal torchvision's for resnet18 and mobilenet_v2", { skip: oracleSkip() }, () => {
  const ours = [...rows('resnet18'), ...rows('mobilenet_v2')].filter((r) => r.name === 'resnet18' || r.name === 'mobilenet_v2');
  assert.deepEqual(ours.map((r) => r.name).sort(), ['mobilenet_v2', 'resnet18']);
  const { counts } = torchOracle(`
    def measure(m):
        macs = [0]
        def conv(mod, i, o): macs[0] += o.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        def lin(mod, i, o): macs[0] += o.numel() * mod.in_features
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d): mod.register_forward_hook(conv)
            if isinstance(mod, torch.nn.Linear): mod.register_forward_hook(lin)
        m.eval()
        with torch.no_grad():
            m(torch.zeros(1, 3, 224, 224))
        return [sum(p.numel() for p in m.parameters()), macs[0]]
    outputs['counts'] = torch.tensor([measure(torchvision.models.resnet18()), measure(torchvision.models.mobilenet_v2())], dtype=torch.float64)
  `);
  const [[r18Params, r18Macs], [mv2Params, mv2Macs]] = counts!.toArray() as number[][];
  const byName = Object.fromEntries(ours.map((r) => [r.name, r]));
  assert.equal(byName.resnet18!.params, r18Params);
  assert.equal(byName.mobilenet_v2!.params, mv2Params);
  assert.ok(Math.abs(byName.resnet18!.gflops! - r18Macs! / 1e9) < 1e-9, `resnet18 ${byName.resnet18!.gflops} vs ${r18Macs! / 1e9}`);
  assert.ok(Math.abs(byName.mobilenet_v2!.gflops! - mv2Macs! / 1e9) < 1e-9, `mobilenet_v2 ${byName.mobilenet_v2!.gflops} vs ${mv2Macs! / 1e9}`);
  for (const r of ours) {
    assert.equal(r.source, 'torchvision');
    assert.deepEqual(r.inputSize, [3, 224, 224]);
  }
});

test('models: the table lists each matching model with its figures; --no-flops skips the count', () => {
  const r = runCli(['models', '--filter', 'mobilenet']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^model\s+family\s+source\s+input\s+params \(M\)\s+GFLOPs$/);
  const fast = rows('mobilenet', '--no-flops');
  assert.ok(fast.length >= 1);
  for (const row of fast) {
    assert.equal(row.gflops, null);
    const line = lines.find((l) => l.startsWith(`${row.name} `));
    assert.ok(line, `no table row for ${row.name}`);
    // The table shows the same parameter count as the JSON, in millions.
    assert.ok(line.includes((row.params / 1e6).toFixed(2)), line);
  }
  assert.match(r.stdout, new RegExp(`${fast.length} models;`));
});

test('models: an empty filter result and unknown options are usage errors', () => {
  const none = runCli(['models', '--filter', 'no_such_architecture']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no registered model name contains 'no_such_architecture'/);
  const bad = runCli(['models', '--bogus']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bogus/);
  const help = runCli(['models', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: finegrain models/);
});

test('models --pretrained lists every torchvision weights name with its input, and the hub architectures', () => {
  const r = runCli(['models', '--pretrained', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { torchvision: { name: string; input: number; resize: number; default: boolean }[]; hfHub: { timm: string }[] };
  const v2 = listed.torchvision.find((w) => w.name === 'torchvision:resnet50.IMAGENET1K_V2');
  assert.deepEqual([v2?.input, v2?.resize, v2?.default], [224, 232, true]);
  assert.ok(listed.torchvision.some((w) => w.name === 'torchvision:regnet_y_16gf.IMAGENET1K_SWAG_E2E_V1'));
  assert.ok(listed.hfHub.some((t) => t.timm === 'regnety_160'));
  const text = runCli(['models', '--pretrained', '--filter', 'efficientnet_b3']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /torchvision:efficientnet_b3\.IMAGENET1K_V1\s+300\s+320\s+bicubic/);
  assert.equal(runCli(['models', '--pretrained', '--filter', 'nonesuch']).status, 2);
});
