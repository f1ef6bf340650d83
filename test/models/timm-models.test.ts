// timm-named models (SE-ResNet, SK-ResNet, RegNetX/Y with timm's names) against PyTorch
// references assembled in the oracle from torchvision's ResNet/RegNet and the timm layer
// definitions of support/timm-reference.ts: our state dict must load strictly into the
// reference (timm's key names; RegNet keys through timm's own torchvision mapping) and the
// eval outputs agree. Parameter counts are checked against timm's published ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, scope, manualSeed, noGrad, keep, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { withoutInit } from '../../src/nn/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';
import { TIMM_LAYERS_PY, perturbStats, stateInputs } from './support/timm-reference.js';

const REFERENCE_PY = `
import re, types
from torchvision.models.regnet import RegNet, BlockParams

def _se_basic(self, x):
    s = x if self.downsample is None else self.downsample(x)
    out = self.relu(self.bn1(self.conv1(x)))
    return self.relu(self.se(self.bn2(self.conv2(out))) + s)

def _se_bottleneck(self, x):
    s = x if self.downsample is None else self.downsample(x)
    out = self.relu(self.bn1(self.conv1(x)))
    out = self.relu(self.bn2(self.conv2(out)))
    return self.relu(self.se(self.bn3(self.conv3(out))) + s)

def seresnet(base, num_classes):
    m = torchvision.models.get_model(base, num_classes=num_classes)
    for layer in [m.layer1, m.layer2, m.layer3, m.layer4]:
        for b in layer:
            bottleneck = hasattr(b, 'bn3')
            b.se = SEModule((b.bn3 if bottleneck else b.bn2).num_features)
            b.forward = types.MethodType(_se_bottleneck if bottleneck else _se_basic, b)
    return m

class SKBasic(nn.Module):
    expansion = 1
    def __init__(self, cin, planes, stride, downsample, sk):
        super().__init__()
        self.conv1 = SelectiveKernel(cin, planes, stride=stride, **sk)
        self.conv2 = ConvNormAct(planes, planes, 3, act=False)
        self.downsample = downsample
    def forward(self, x):
        s = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(self.conv1(x)) + s)

class SKBottleneck(nn.Module):
    expansion = 4
    def __init__(self, cin, planes, stride, downsample, sk):
        super().__init__()
        self.conv1 = ConvNormAct(cin, planes, 1)
        self.conv2 = SelectiveKernel(planes, planes, stride=stride, **sk)
        self.conv3 = ConvNormAct(planes, planes * 4, 1, act=False)
        self.downsample = downsample
    def forward(self, x):
        s = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + s)

def skresnet(block, layers, sk, num_classes):
    m = torchvision.models.resnet18(num_classes=num_classes)
    cin = 64
    for i, planes in enumerate([64, 128, 256, 512]):
        blocks = []
        for j in range(layers[i]):
            stride = 2 if j == 0 and i > 0 else 1
            out = planes * block.expansion
            ds = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out)) if stride != 1 or cin != out else None
            blocks.append(block(cin, planes, stride, ds, sk))
            cin = out
        setattr(m, f'layer{i + 1}', nn.Sequential(*blocks))
    m.fc = nn.Linear(cin, num_classes)
    return m

def timm_regnet(w0, wa, wm, depth, group_size, se_ratio, num_classes):
    # timm's generate_regnet + adjust_widths_groups_comp (quantize_float), then torchvision's RegNet
    u = torch.arange(depth, dtype=torch.float32) * wa + w0
    exps = torch.round(torch.log(u / w0) / math.log(wm))
    widths = (torch.round((w0 * torch.pow(wm, exps)) / 8) * 8).int()
    ws, ds = torch.unique(widths, return_counts=True)
    ws, ds = ws.tolist(), ds.tolist()
    gs = [min(group_size, w) for w in ws]
    ws = [int(round(w / g) * g) for w, g in zip(ws, gs)]
    params = BlockParams(depths=ds, widths=ws, group_widths=gs, bottleneck_multipliers=[1.0] * len(ws), strides=[2] * len(ws), se_ratio=se_ratio)
    return RegNet(params, num_classes=num_classes)

def timm_to_torchvision(k):
    # the inverse of timm regnet.py's _filter_fn for torchvision weights
    k = re.sub(r'^stem\\.conv', 'stem.0', k)
    k = re.sub(r'^stem\\.bn', 'stem.1', k)
    k = re.sub(r'^s(\\d)\\.b(\\d+)\\.', lambda m: f'trunk_output.block{m[1]}.block{m[1]}-{int(m[2]) - 1}.', k)
    for a, b in [('conv1.conv', 'f.a.0'), ('conv1.bn', 'f.a.1'), ('conv2.conv', 'f.b.0'), ('conv2.bn', 'f.b.1'), ('se.fc', 'f.se.fc'),
                 ('conv3.conv', 'f.c.0'), ('conv3.bn', 'f.c.1'), ('downsample.conv', 'proj.0'), ('downsample.bn', 'proj.1')]:
        k = k.replace(a, b)
    return k.replace('head.fc', 'fc')

def load_mapped(module, prefix, fn):
    sd = {fn(k[len(prefix):]): v for k, v in inputs.items() if k.startswith(prefix)}
    module.load_state_dict(sd, strict=True)
    return module.eval()
`;

interface Case {
  name: string;
  /** Python expression for the reference model (num_classes 10). */
  ref: string;
  /** Python: 'load' (same keys) or 'regnet' (timm → torchvision key mapping). */
  keys: 'same' | 'regnet';
  size: number;
}

const CASES: Case[] = [
  { name: 'seresnet18', ref: "seresnet('resnet18', 10)", keys: 'same', size: 64 },
  { name: 'seresnet50', ref: "seresnet('resnet50', 10)", keys: 'same', size: 64 },
  { name: 'skresnet18', ref: 'skresnet(SKBasic, [2, 2, 2, 2], dict(rd_ratio=1/8, rd_divisor=16), 10)', keys: 'same', size: 64 },
  { name: 'skresnet50', ref: 'skresnet(SKBottleneck, [3, 4, 6, 3], {}, 10)', keys: 'same', size: 64 },
  { name: 'regnetx_002', ref: 'timm_regnet(24, 36.44, 2.49, 13, 8, None, 10)', keys: 'regnet', size: 64 },
  { name: 'regnetx_004', ref: 'timm_regnet(24, 24.48, 2.54, 22, 16, None, 10)', keys: 'regnet', size: 64 },
  { name: 'regnety_002', ref: 'timm_regnet(24, 36.44, 2.49, 13, 8, 0.25, 10)', keys: 'regnet', size: 64 },
  { name: 'regnety_008', ref: 'timm_regnet(56, 38.84, 2.4, 14, 16, 0.25, 10)', keys: 'regnet', size: 64 },
  { name: 'regnety_160', ref: 'timm_regnet(200, 106.23, 2.48, 18, 112, 0.25, 10)', keys: 'regnet', size: 32 },
];

// All models go to PyTorch in one oracle call; computed once, on first use (a failure is
// remembered, not retried by every test).
let results: Map<string, { ours: Tensor; theirs: Tensor }> | Error | null = null;
function compute(): Map<string, { ours: Tensor; theirs: Tensor }> {
  if (!results) {
    try {
      results = computeAll();
    } catch (e) {
      results = e as Error;
    }
  }
  if (results instanceof Error) throw results;
  return results;
}

function computeAll(): Map<string, { ours: Tensor; theirs: Tensor }> {
  manualSeed(3);
  const inputs: Record<string, Tensor> = {};
  const ours = new Map<string, Tensor>();
  let code = TIMM_LAYERS_PY + REFERENCE_PY;
  for (const c of CASES) {
    scope(() => {
      const m = createModel(c.name, { numClasses: 10 });
      perturbStats(m); // timm zero-initialises the last BatchNorm of each block; give it values
      m.eval();
      const x = randn([2, 3, c.size, c.size]);
      // the state dict's tensors are views: they keep the weights alive after m.dispose()
      const sd = stateInputs(m, `${c.name}.sd.`);
      keep(Object.values(sd));
      Object.assign(inputs, sd, { [`${c.name}.x`]: x.keep() });
      ours.set(c.name, keep(noGrad(() => m.forward(x))));
      m.dispose();
    });
    const load = c.keys === 'same' ? `load(${c.ref}, '${c.name}.sd.')` : `load_mapped(${c.ref}, '${c.name}.sd.', timm_to_torchvision)`;
    code += `\nm = ${load}\nwith torch.no_grad():\n    outputs['${c.name}'] = m(inputs['${c.name}.x'])\ndel m\n`;
  }
  const theirs = torchOracle(code, inputs);
  for (const t of Object.values(inputs)) t.dispose();
  return new Map(CASES.map((c) => [c.name, { ours: ours.get(c.name)!, theirs: keep(theirs[c.name]!) }]));
}

for (const c of CASES) {
  test(`${c.name}: timm keys load strictly into the reference and outputs agree`, { skip: oracleSkip() }, () => {
    const r = scope(() => compute()).get(c.name)!;
    assertClose(r.ours, r.theirs, { rtol: 1e-4, atol: 0 });
  });
}

test("parameter counts equal timm's published ones (millions, 2 decimals)", () => {
  const published: Record<string, number> = {
    regnetx_002: 2.68,
    regnetx_004: 5.16,
    regnetx_016: 9.19,
    regnetx_320: 107.81,
    regnety_002: 3.16,
    regnety_004: 4.34,
    regnety_040: 20.65,
    regnety_160: 83.59,
    regnety_320: 145.05,
    regnety_640: 281.38,
    seresnet50: 28.09,
    skresnet18: 11.96,
    skresnet34: 22.28,
  };
  for (const [name, millions] of Object.entries(published)) {
    const m = withoutInit(() => createModel(name));
    assert.equal(Math.round(m.numParameters() / 1e4) / 100, millions, name);
    m.dispose();
  }
});

test('timm key names: stages, blocks, ConvNormAct, SE and heads', () => {
  const keys = (name: string) => {
    const m = withoutInit(() => createModel(name));
    const k = m.stateEntries().map(([key]) => key);
    m.dispose();
    return k;
  };
  const bn = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((s) => `${p}.${s}`);
  const y = keys('regnety_002');
  assert.deepEqual(y.slice(0, 6), ['stem.conv.weight', ...bn('stem.bn')]);
  assert.deepEqual(
    y.filter((k) => k.startsWith('s1.b1.')),
    [
      's1.b1.conv1.conv.weight',
      ...bn('s1.b1.conv1.bn'),
      's1.b1.conv2.conv.weight',
      ...bn('s1.b1.conv2.bn'),
      's1.b1.se.fc1.weight',
      's1.b1.se.fc1.bias',
      's1.b1.se.fc2.weight',
      's1.b1.se.fc2.bias',
      's1.b1.conv3.conv.weight',
      ...bn('s1.b1.conv3.bn'),
      's1.b1.downsample.conv.weight',
      ...bn('s1.b1.downsample.bn'),
    ],
  );
  assert.deepEqual(y.slice(-2), ['head.fc.weight', 'head.fc.bias']);
  assert.ok(!y.some((k) => k.startsWith('s1.b2.downsample')), 'identity shortcuts have no keys');
  assert.ok(!keys('regnetx_002').some((k) => k.includes('.se.')));
  const se = keys('seresnet50');
  assert.ok(
    se.includes('layer1.0.se.fc1.weight') && se.includes('layer4.2.se.fc2.bias') && se.includes('layer1.0.downsample.0.weight') && se.includes('fc.weight'),
  );
  const sk = keys('skresnet18');
  for (const k of [
    'layer1.0.conv1.paths.0.conv.weight',
    'layer1.0.conv1.paths.1.bn.running_var',
    'layer1.0.conv1.attn.fc_reduce.weight',
    'layer1.0.conv1.attn.bn.weight',
    'layer1.0.conv1.attn.fc_select.weight',
    'layer1.0.conv2.conv.weight',
    'layer1.0.conv2.bn.bias',
    'layer2.0.downsample.1.weight',
  ]) {
    assert.ok(sk.includes(k), k);
  }
  const sk50 = keys('skresnet50');
  for (const k of ['layer1.0.conv1.conv.weight', 'layer1.0.conv2.paths.0.conv.weight', 'layer1.0.conv3.bn.weight']) assert.ok(sk50.includes(k), k);
});
