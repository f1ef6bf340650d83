/**
 * PyTorch reference definitions of timm's attention layers and blocks, written for the tests
 * from timm's layer definitions (timm/layers/squeeze_excite.py, gather_excite.py, cbam.py,
 * selective_kernel.py, conv_bn_act.py, helpers.py; timm/models/sknet.py) with the same
 * submodule names, so `load(module, prefix)` can load a finegrain state dict into them
 * strictly: a finegrain key that timm would not have fails the load. Prepended to oracle
 * snippets.
 *
 * @example
 *   torchOracle(TIMM_LAYERS_PY + `m = SEModule(64); load(m, 'sd.'); outputs['y'] = m(inputs['x'])`, inputs);
 */
import { noGrad, randn, rand, type Tensor } from '../../../src/index.js';
import type { Module } from '../../../src/nn/module.js';

export const TIMM_LAYERS_PY = `
import math
import torch.nn as nn

def make_divisible(v, divisor=8, min_value=None, round_limit=.9):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v

def get_padding(k, stride=1, dilation=1):
    return ((stride - 1) + dilation * (k - 1)) // 2

def load(module, prefix):
    sd = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
    module.load_state_dict(sd, strict=True)
    module.eval()
    return module

class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1, dilation=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, get_padding(k, stride, dilation), dilation, groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU() if act else nn.Identity()
    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

class SEModule(nn.Module):
    def __init__(self, channels, rd_ratio=1/16, rd_channels=None, rd_divisor=8, act=nn.ReLU, gate=nn.Sigmoid):
        super().__init__()
        rd = rd_channels or make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.)
        self.fc1 = nn.Conv2d(channels, rd, 1)
        self.act = act()
        self.fc2 = nn.Conv2d(rd, channels, 1)
        self.gate = gate()
    def forward(self, x):
        s = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * self.gate(s)

class ConvMlp(nn.Module):
    def __init__(self, cin, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(cin, hidden, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, cin, 1)
    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))

class GatherExcite(nn.Module):
    def __init__(self, channels, feat_size=None, extra_params=False, extent=0, use_mlp=True, rd_ratio=1/16, add_maxpool=False):
        super().__init__()
        self.extent, self.add_maxpool = extent, add_maxpool
        self.gather = None
        if extra_params:
            self.gather = nn.Sequential()
            if extent == 0:
                self.gather.add_module('conv1', nn.Conv2d(channels, channels, feat_size, 1, get_padding(feat_size), groups=channels, bias=False))
                self.gather.add_module('norm1', nn.BatchNorm2d(channels))
            else:
                n = int(math.log2(extent))
                for i in range(n):
                    self.gather.add_module(f'conv{i + 1}', nn.Conv2d(channels, channels, 3, 2, 1, groups=channels, bias=False))
                    self.gather.add_module(f'norm{i + 1}', nn.BatchNorm2d(channels))
                    if i != n - 1:
                        self.gather.add_module(f'act{i + 1}', nn.ReLU())
        self.mlp = ConvMlp(channels, make_divisible(channels * rd_ratio, 1, round_limit=0.)) if use_mlp else nn.Identity()
    def forward(self, x):
        if self.gather is not None:
            g = self.gather(x)
        elif self.extent == 0:
            g = x.mean((2, 3), keepdim=True)
            if self.add_maxpool:
                g = 0.5 * g + 0.5 * x.amax((2, 3), keepdim=True)
        else:
            k = self.extent * 2 - 1
            g = F.avg_pool2d(x, k, self.extent, k // 2, count_include_pad=False)
            if self.add_maxpool:
                g = 0.5 * g + 0.5 * F.max_pool2d(x, k, self.extent, k // 2)
        g = self.mlp(g)
        if g.shape[-1] != 1 or g.shape[-2] != 1:
            g = F.interpolate(g, size=x.shape[-2:])
        return x * torch.sigmoid(g)

class ChannelAttn(nn.Module):
    def __init__(self, channels, rd_ratio=1/16):
        super().__init__()
        rd = make_divisible(channels * rd_ratio, 1, round_limit=0.)
        self.fc1 = nn.Conv2d(channels, rd, 1, bias=False)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(rd, channels, 1, bias=False)
    def forward(self, x):
        a = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        m = self.fc2(self.act(self.fc1(x.amax((2, 3), keepdim=True))))
        return x * torch.sigmoid(a + m)

class SpatialAttn(nn.Module):
    def __init__(self, k=7):
        super().__init__()
        self.conv = ConvNormAct(2, 1, k, act=False)
    def forward(self, x):
        a = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(a))

class CbamModule(nn.Module):
    def __init__(self, channels, rd_ratio=1/16, k=7):
        super().__init__()
        self.channel = ChannelAttn(channels, rd_ratio)
        self.spatial = SpatialAttn(k)
    def forward(self, x):
        return self.spatial(self.channel(x))

class SelectiveKernelAttn(nn.Module):
    def __init__(self, channels, num_paths, attn_channels):
        super().__init__()
        self.num_paths = num_paths
        self.fc_reduce = nn.Conv2d(channels, attn_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(attn_channels)
        self.act = nn.ReLU()
        self.fc_select = nn.Conv2d(attn_channels, channels * num_paths, 1, bias=False)
    def forward(self, x):
        x = self.fc_select(self.act(self.bn(self.fc_reduce(x.sum(1).mean((2, 3), keepdim=True)))))
        b, c, h, w = x.shape
        return torch.softmax(x.view(b, self.num_paths, c // self.num_paths, h, w), dim=1)

class SelectiveKernel(nn.Module):
    def __init__(self, cin, cout=None, kernel_size=None, stride=1, dilation=1, groups=1, rd_ratio=1/16, rd_divisor=8, keep_3x3=True, split_input=True):
        super().__init__()
        cout = cout or cin
        kernel_size = kernel_size or [3, 5]
        if keep_3x3:
            dilation = [dilation * (k - 1) // 2 for k in kernel_size]
            kernel_size = [3] * len(kernel_size)
        else:
            dilation = [dilation] * len(kernel_size)
        self.num_paths = len(kernel_size)
        self.cin, self.split_input = cin, split_input
        pin = cin // self.num_paths if split_input else cin
        groups = min(cout, groups)
        self.paths = nn.ModuleList([ConvNormAct(pin, cout, k, stride, d, groups) for k, d in zip(kernel_size, dilation)])
        self.attn = SelectiveKernelAttn(cout, self.num_paths, make_divisible(cout * rd_ratio, rd_divisor))
    def forward(self, x):
        if self.split_input:
            xs = torch.split(x, self.cin // self.num_paths, 1)
            paths = [p(xs[i]) for i, p in enumerate(self.paths)]
        else:
            paths = [p(x) for p in self.paths]
        x = torch.stack(paths, dim=1)
        return torch.sum(x * self.attn(x), dim=1)
`;

/**
 * Gives every 1-D floating tensor of a module (norm weights and biases, running statistics,
 * conv biases) random values, so eval-mode BatchNorm and zero-initialised layers do real
 * work in a comparison; weights with more dimensions keep their initialisation.
 *
 * @example
 *   perturbStats(model); const sd = model.stateDict();
 */
export function perturbStats(module: Module): void {
  noGrad(() => {
    for (const [key, t] of module.stateEntries()) {
      if (t.ndim !== 1 || t.dtype !== 'float32') continue;
      const n = t.shape[0]!;
      if (key.endsWith('running_var')) t.copy_(rand([n]).mul(0.5).add(0.75));
      else if (key.endsWith('.weight') && !key.includes('fc')) t.copy_(rand([n]).mul(0.5).add(0.75));
      else t.copy_(randn([n]).mul(0.1));
    }
  });
}

/**
 * A module's state dict as oracle inputs under `prefix` (e.g. 'sd.fc1.weight').
 * @example torchOracle(code, { x, ...stateInputs(se, 'sd.') });
 */
export function stateInputs(module: Module, prefix: string): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(module.stateDict()).map(([k, v]) => [prefix + k, v]));
}
