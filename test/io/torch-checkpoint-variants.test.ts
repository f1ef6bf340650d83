// The shapes PyTorch checkpoints come in, each written by the oracle and read back exactly:
// the legacy format, nested training checkpoints (automatic choice and #entry), DDP's module.
// prefix, Lightning's state_dict with model., float16 / bfloat16 / float64 / integer tensors,
// tied weights and slices of one storage, non-contiguous views, numpy scalars and
// argparse.Namespace beside the weights (timm's checkpoints), and a model loaded from each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTorchCheckpoint, noGrad, openTorchCheckpoint, openWeights, scope, TorchCheckpointError, type Tensor } from '../../src/index.js';
import { createModel, loadCheckpoint } from '../../src/models/index.js';
import { assertClose } from '../support/assert-close.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';

const skip = oracleSkip();
const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'fg-pth-'));
test.after(() => dir && rmSync(dir, { recursive: true, force: true }));

function same(a: Tensor, b: Tensor, what: string) {
  assert.equal(a.dtype, b.dtype, `${what}: dtype`);
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.contiguous().toTypedArray();
  const y = b.contiguous().toTypedArray();
  assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${what}: bytes differ`);
}

/** A resnet18 with perturbed BatchNorm, its state dict saved in the ways training scripts save it. */
function writeVariants() {
  return torchOracle(`
    import argparse, collections
    import numpy as np
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=7)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 2.0); mod.num_batches_tracked += 5
    sd = m.state_dict()
    d = ${JSON.stringify(dir)}
    torch.save(sd, d + '/plain.pth')
    torch.save(sd, d + '/legacy.pth', _use_new_zipfile_serialization=False)
    ema = collections.OrderedDict((k, v + 1 if v.is_floating_point() else v) for k, v in sd.items())
    args = argparse.Namespace(model='resnet18', lr=0.1, epochs=np.int64(90))
    torch.save({'epoch': 3, 'arch': 'resnet18', 'state_dict': sd, 'state_dict_ema': ema, 'optimizer': {'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0, 1]}]},
                'metric': np.float64(0.875), 'args': args}, d + '/timm.pth.tar')
    torch.save({'model': sd, 'model_ema': ema, 'epoch': 2}, d + '/nested.pth')
    torch.save(collections.OrderedDict(('module.' + k, v) for k, v in sd.items()), d + '/ddp.pth')
    lit = collections.OrderedDict(('model.' + k, v) for k, v in sd.items())
    lit['criterion.weight'] = torch.ones(7)
    torch.save({'pytorch-lightning_version': '2.1.0', 'epoch': 1, 'global_step': 10, 'state_dict': lit, 'hyper_parameters': {'lr': 0.01}}, d + '/lightning.ckpt')
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in sd.items()}, d + '/half.pth')
    torch.save({k: v.bfloat16() if v.is_floating_point() else v for k, v in sd.items()}, d + '/bf16.pth')
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    shared = {'tied_a': m.fc.weight, 'tied_b': m.fc.weight, 'row': base[1], 'col': base[:, 2], 'block': base[1:3, 2:5], 'transposed': base.t(),
              'cl': torch.randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last), 'i32': torch.arange(5, dtype=torch.int32), 'u8': torch.arange(5, dtype=torch.uint8),
              'i8': -torch.arange(5, dtype=torch.int8), 'i16': torch.arange(5, dtype=torch.int16), 'flags': torch.tensor([True, False]), 'scalar': torch.tensor(3.5), 'empty': torch.zeros(0, 3)}
    torch.save(shared, d + '/views.pth')
    torch.save(shared, d + '/views_legacy.pth', _use_new_zipfile_serialization=False)
    for k, v in shared.items():
        outputs['views.' + k] = v.contiguous()
    outputs['fc'] = sd['fc.weight']
    outputs['ema_fc'] = ema['fc.weight']
    outputs['bn_tracked'] = sd['bn1.num_batches_tracked']
    outputs['x'] = torch.randn(2, 3, 64, 64)
    m.eval()
    with torch.no_grad():
        outputs['y'] = m(outputs['x'])
  `);
}

test('every way a state dict is saved loads to the same tensors', { skip }, () => {
  scope(() => {
    const o = writeVariants();
    const cases: [string, RegExp, Tensor][] = [
      ['plain.pth', /the whole file/, o.fc!],
      ['legacy.pth', /the whole file/, o.fc!],
      ['timm.pth.tar', /entry 'state_dict'.*also holds 'state_dict_ema'/, o.fc!],
      ['timm.pth.tar#state_dict_ema', /entry 'state_dict_ema'/, o.ema_fc!],
      ['nested.pth', /entry 'model'.*'model_ema'/, o.fc!],
      ['nested.pth#model_ema', /entry 'model_ema'/, o.ema_fc!],
      ['ddp.pth', /'module\.' stripped from 122 keys/, o.fc!],
      ['lightning.ckpt', /Lightning.*'model\.' stripped from 122 keys, 1 keys outside model\. left out/, o.fc!],
    ];
    for (const [name, note, fc] of cases) {
      const { tensors, note: got } = loadTorchCheckpoint(join(dir, name));
      assert.match(got, note, name);
      assert.equal(Object.keys(tensors).length, 122, name);
      same(tensors['fc.weight']!, fc, `${name} fc.weight`);
      same(tensors['bn1.num_batches_tracked']!, o.bn_tracked!, `${name} bn1.num_batches_tracked`);
    }
  });
});

test('a model loads from each kind of checkpoint and computes PyTorch output', { skip }, () => {
  const { x, y } = torchOracle(`
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=7)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 2.0); mod.num_batches_tracked += 5
    m.eval()
    torch.manual_seed(1)
    outputs['x'] = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        outputs['y'] = m(outputs['x'])
  `);
  for (const file of ['plain.pth', 'legacy.pth', 'timm.pth.tar', 'nested.pth', 'ddp.pth', 'lightning.ckpt']) {
    const model = createModel('resnet18', { pretrained: join(dir, file), numClasses: 7 }).eval();
    try {
      scope(() =>
        assertClose(
          noGrad(() => model.forward(x!)),
          y!,
          { rtol: 1e-5, atol: 0, message: file },
        ),
      );
    } finally {
      model.dispose();
    }
  }
  x!.dispose();
  y!.dispose();
});

test('float16 and bfloat16 checkpoints keep their dtype and load into a float32 model', { skip }, () => {
  const ref = torchOracle(`
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=7)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 2.0); mod.num_batches_tracked += 5
    sd = m.state_dict()
    outputs['half'] = sd['layer1.0.conv1.weight'].half()
    outputs['bf16'] = sd['layer1.0.conv1.weight'].bfloat16()
    torch.manual_seed(1)
    outputs['x'] = torch.randn(2, 3, 64, 64)
    m.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in sd.items()})
    m.eval()
    with torch.no_grad():
        outputs['y'] = m(outputs['x'])
  `);
  scope(() => {
    const half = openWeights(join(dir, 'half.pth'));
    const bf16 = openWeights(join(dir, 'bf16.pth'));
    try {
      assert.equal(half.info('fc.weight').dtype, 'float16');
      same(half.get('layer1.0.conv1.weight'), ref.half!, 'float16 tensor');
      same(bf16.get('layer1.0.conv1.weight'), ref.bf16!, 'bfloat16 tensor');
      assert.equal(bf16.get('bn1.num_batches_tracked').dtype, 'int64');
      assert.equal(half.get('fc.weight', { dtype: 'float32' }).dtype, 'float32');
    } finally {
      half.close();
      bf16.close();
    }
    const model = createModel('resnet18', { pretrained: join(dir, 'half.pth'), numClasses: 7 }).eval();
    try {
      assertClose(
        noGrad(() => model.forward(ref.x!)),
        ref.y!,
        { rtol: 1e-5, atol: 0, message: 'float16 weights' },
      );
    } finally {
      model.dispose();
    }
  });
});

test('views, tied weights, strides and every integer dtype read exactly, in both formats', { skip }, () => {
  scope(() => {
    const o = torchOracle(`
      base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
      outputs['col'] = base[:, 2].contiguous()
      outputs['block'] = base[1:3, 2:5].contiguous()
      outputs['transposed'] = base.t().contiguous()
    `);
    for (const file of ['views.pth', 'views_legacy.pth']) {
      const { tensors: t } = loadTorchCheckpoint(join(dir, file));
      same(t.col!, o.col!, `${file} col`);
      same(t.block!, o.block!, `${file} block`);
      same(t.transposed!, o.transposed!, `${file} transposed`);
      assert.ok(t.tied_a!.sharesStorageWith(t.tied_b!), `${file}: tied weights share one storage, as in PyTorch`);
      assert.ok(t.row!.sharesStorageWith(t.col!), `${file}: slices of one storage share it`);
      assert.deepEqual(t.i32!.toArray(), [0, 1, 2, 3, 4]);
      assert.deepEqual(t.u8!.toArray(), [0, 1, 2, 3, 4]);
      assert.deepEqual(t.i8!.toArray(), [0, -1, -2, -3, -4]);
      assert.deepEqual(t.i16!.toArray(), [0, 1, 2, 3, 4]);
      assert.deepEqual(t.flags!.toArray(), [true, false]);
      assert.equal(t.scalar!.item(), 3.5);
      assert.deepEqual(t.empty!.shape, [0, 3]);
      assert.deepEqual(t.cl!.shape, [2, 3, 4, 5]);
      // The lazy route reads the same values one tensor at a time.
      const lazy = openTorchCheckpoint(join(dir, file));
      try {
        same(lazy.get('block'), o.block!, `${file} lazy block`);
        same(lazy.get('cl'), t.cl!.contiguous(), `${file} lazy channels-last`);
      } finally {
        lazy.close();
      }
    }
  });
});

test('the rest of a training checkpoint is readable data: numpy scalars, argparse.Namespace', { skip }, () => {
  const ckpt = openTorchCheckpoint(join(dir, 'timm.pth.tar'));
  try {
    const root = ckpt.root as import('../../src/index.js').PyDict;
    assert.equal(root.get('epoch'), 3);
    assert.equal(root.get('metric'), 0.875);
    const args = root.get('args') as import('../../src/index.js').PyObject;
    assert.equal(args.cls, 'argparse.Namespace');
    assert.equal(args.attrs.get('model'), 'resnet18');
    assert.equal(args.attrs.get('epochs'), 90);
  } finally {
    ckpt.close();
  }
});

test('a missing entry, a non-state-dict entry and a state dict nowhere say what the file holds', { skip }, () => {
  assert.throws(
    () => openTorchCheckpoint(join(dir, 'nested.pth#nope')),
    (e: unknown) => e instanceof TorchCheckpointError && e.code === 'NO_STATE_DICT' && /no entry 'nope'.*model \(122 tensors\)/.test(e.message),
  );
  assert.throws(() => openTorchCheckpoint(join(dir, 'nested.pth#epoch')), /nested\.pth#epoch is not a dict of tensors \(it is an int\)/);
  assert.throws(() => createModel('resnet50', { pretrained: join(dir, 'plain.pth') }), /does not fit resnet50/);
  assert.throws(() => loadCheckpoint(join(dir, 'plain.pth')), /is a PyTorch checkpoint, not a finegrain run checkpoint: use it as pretrained weights/);
});

test('the state dict comes back in the order torch.save wrote it', { skip }, () => {
  const keys = (file: string) => {
    const ckpt = openTorchCheckpoint(join(dir, file));
    try {
      return ckpt.keys();
    } finally {
      ckpt.close();
    }
  };
  for (const file of ['plain.pth', 'legacy.pth']) {
    const { tensors } = loadTorchCheckpoint(join(dir, file));
    const order = Object.keys(tensors);
    assert.deepEqual(order, keys(file));
    assert.deepEqual(order.slice(0, 3), ['conv1.weight', 'bn1.weight', 'bn1.bias'], file);
    for (const t of Object.values(tensors)) t.dispose();
  }
});

test('a zip re-compressed with deflate and a big-endian archive read the same values', { skip }, () => {
  // Python's zipfile rewrites a torch.save archive: once with every record deflated, once with
  // byteorder 'big' and each storage's elements byte-swapped (what a big-endian host writes).
  const o = torchOracle(`
    import zipfile, pickle, io
    import numpy as np
    d = ${JSON.stringify(dir)}
    sd = {'w': torch.randn(3, 4), 'h': torch.randn(5).half(), 'i': torch.arange(6), 'b': torch.randn(2, 2).bfloat16()}
    torch.save(sd, d + '/le.pth')
    src = zipfile.ZipFile(d + '/le.pth')
    names = src.namelist()
    prefix = names[0].split('/')[0] + '/'
    widths = {}
    class Probe(pickle.Unpickler):
        def find_class(self, module, name):
            if module == 'torch' and name.endswith('Storage'):
                return {'FloatStorage': 4, 'HalfStorage': 2, 'LongStorage': 8, 'BFloat16Storage': 2}[name]
            return lambda *a, **k: None
        def persistent_load(self, pid):
            widths[pid[2]] = pid[1]
    Probe(io.BytesIO(src.read(prefix + 'data.pkl'))).load()
    with zipfile.ZipFile(d + '/deflated.pth', 'w', zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.writestr(n, src.read(n))
    with zipfile.ZipFile(d + '/big.pth', 'w', zipfile.ZIP_STORED) as z:
        for n in names:
            data = src.read(n)
            key = n[len(prefix + 'data/'):] if n.startswith(prefix + 'data/') else None
            if n == prefix + 'byteorder':
                data = b'big'
            elif key in widths:
                data = np.frombuffer(data, dtype='u%d' % widths[key]).byteswap().tobytes()
            z.writestr(n, data)
        if prefix + 'byteorder' not in names:
            z.writestr(prefix + 'byteorder', b'big')
    for k, v in sd.items():
        outputs[k] = v
  `);
  scope(() => {
    for (const file of ['deflated.pth', 'big.pth']) {
      const { tensors } = loadTorchCheckpoint(join(dir, file));
      for (const k of ['w', 'h', 'i', 'b']) same(tensors[k]!, o[k]!, `${file} ${k}`);
      const lazy = openTorchCheckpoint(join(dir, file));
      try {
        same(lazy.get('w'), o.w!, `${file} lazy w`);
      } finally {
        lazy.close();
      }
    }
  });
});

test('keysInFileOrder follows the storage records as torch.save lays them out (by key as text)', { skip }, () => {
  const ckpt = openTorchCheckpoint(join(dir, 'plain.pth'));
  try {
    const keys = ckpt.keys();
    // torch.save numbers storages in the order the state dict meets them and writes the
    // records sorted as text: 0, 1, 10, 100, 101, …, 11, …
    const expected = keys
      .map((k, i) => [String(i), k] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([, k]) => k);
    assert.deepEqual(ckpt.keysInFileOrder(), expected);
    assert.notDeepEqual(expected, keys);
  } finally {
    ckpt.close();
  }
});
