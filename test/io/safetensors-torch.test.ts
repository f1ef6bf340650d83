// Parity with PyTorch: files finegrain writes are read by a small Python reader (json +
// torch.frombuffer, written here from the format description), and files a Python writer
// makes by hand are read by finegrain. There is no python safetensors package to lean on,
// so each side is an independent implementation of the format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSafetensors, manualSeed, openSafetensors, randint, randn, saveSafetensors, scope, tensor, zeros, type Tensor } from '../../src/index.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { assertSameTensor, tempDir } from './safetensors-support.js';

// One line: the oracle strips the snippet's common indentation.
const PY_DTYPES =
  "{'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}";

test('PyTorch reads what finegrain writes', { skip: oracleSkip() }, () => {
  manualSeed(7);
  const { path, cleanup } = tempDir();
  try {
    scope(() => {
      const x = randn([3, 4]);
      const tensors: Record<string, Tensor> = {
        f32: x,
        f64: randn([2, 3], { dtype: 'float64' }),
        f16: randn([5]).half(),
        bf16: randn([2, 2, 2]).bfloat16(),
        i64: randint(-(2 ** 40), 2 ** 40, [4]),
        i32: randint(-1000, 1000, [3], { dtype: 'int32' }),
        i16: randint(-300, 300, [3], { dtype: 'int16' }),
        i8: randint(-128, 128, [6], { dtype: 'int8' }),
        u8: randint(0, 256, [2, 3], { dtype: 'uint8' }),
        bool: randn([7]).gt(0),
        scalar: tensor(2.5),
        empty: zeros([2, 0]),
        transposed: x.t(),
      };
      const file = path('fg.safetensors');
      saveSafetensors(file, tensors, { source: 'finegrain', ü: 'ß' });
      const out = torchOracle(
        `
        import struct
        raw = open(${JSON.stringify(file)}, 'rb').read()
        n = struct.unpack('<Q', raw[:8])[0]
        assert n % 8 == 0, 'header not padded to 8 bytes'
        header = json.loads(raw[8:8 + n].decode('utf-8'))
        assert header.pop('__metadata__') == {'source': 'finegrain', 'ü': 'ß'}
        DT = ${PY_DTYPES}
        end = 0
        for k, v in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
            b, e = v['data_offsets']
            assert b == end, f'{k}: offsets not contiguous'
            end = e
            dt = DT[v['dtype']]
            assert (8 + n + b) % torch.empty(0, dtype=dt).element_size() == 0, f'{k}: not aligned'
            buf = bytearray(raw[8 + n + b:8 + n + e])
            t = torch.frombuffer(buf, dtype=dt) if len(buf) else torch.empty(0, dtype=dt)
            outputs[k] = t = t.reshape(v['shape'])
            # the same tensor as the oracle's own transport delivers it
            ref = inputs[k]
            assert ref.dtype == outputs[k].dtype and ref.shape == outputs[k].shape, k
            assert torch.equal(ref.reshape(-1).view(torch.uint8) if ref.dtype != torch.bool else ref, t.reshape(-1).view(torch.uint8) if ref.dtype != torch.bool else t), k
        assert end == len(raw) - 8 - n, 'trailing bytes'
        `,
        tensors,
      );
      assert.deepEqual(Object.keys(out).sort(), Object.keys(tensors).sort());
      for (const [k, t] of Object.entries(tensors)) assertSameTensor(out[k]!, t.contiguous(), k);
    });
  } finally {
    cleanup();
  }
});

test('finegrain reads what a Python writer makes', { skip: oracleSkip() }, () => {
  const { path, cleanup } = tempDir();
  try {
    scope(() => {
      const file = path('py.safetensors');
      // Name-ordered and unpadded (as older writers did), so tensors start unaligned in the file.
      const out = torchOracle(`
        import struct
        torch.manual_seed(3)
        ts = {
          'conv.weight': torch.randn(4, 3, 2, 2),
          'half': torch.randn(5).half(),
          'bf': torch.randn(3).bfloat16(),
          'double': torch.randn(2, 2, dtype=torch.float64),
          'steps': torch.tensor(12345678901, dtype=torch.int64),
          'i32': torch.randint(-9, 9, (3,), dtype=torch.int32),
          'i16': torch.randint(-9, 9, (3,), dtype=torch.int16),
          'i8': torch.randint(-9, 9, (3,), dtype=torch.int8),
          'u8': torch.randint(0, 255, (2, 2), dtype=torch.uint8),
          'mask': torch.randn(6) > 0,
          'empty': torch.empty(0, 3),
          'nan': torch.tensor([float('nan'), float('inf'), -0.0]),
          'perm': torch.arange(24.).reshape(2, 3, 4).permute(2, 0, 1),
        }
        NAME = {v: k for k, v in ${PY_DTYPES}.items()}
        header, blobs, off = {'__metadata__': {'format': 'pt'}}, [], 0
        for k in sorted(ts):
            t = ts[k].contiguous()
            b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b''
            header[k] = {'dtype': NAME[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
            off += len(b)
            blobs.append(b)
        h = json.dumps(header).encode('utf-8')
        with open(${JSON.stringify(file)}, 'wb') as f:
            f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
        outputs.update(ts)
      `);
      const { tensors, metadata } = loadSafetensors(file);
      assert.deepEqual(metadata, { format: 'pt' });
      assert.deepEqual(Object.keys(tensors).sort(), Object.keys(out).sort());
      for (const [k, t] of Object.entries(out)) assertSameTensor(tensors[k]!, t, k);
      assert.deepEqual(tensors.steps!.shape, []);
      assert.equal(tensors.steps!.item(), 12345678901);
      using lazy = openSafetensors(file);
      assertSameTensor(lazy.get('conv.weight'), out['conv.weight']!);
    });
  } finally {
    cleanup();
  }
});
