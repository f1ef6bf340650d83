#!/usr/bin/env python3
"""Exports a randomly initialised torchvision classifier for finegrain's parity tests.

    /usr/bin/python3 scripts/oracle/export_torchvision.py NAME[:S][,NAME[:S]...] OUT_DIR
        [--image-size S] [--num-classes N] [--batch B] [--lookahead K] [--pth]

For each NAME, builds torchvision.models.NAME (torchvision's own random initialisation) with
a fixed seed, perturbs every BatchNorm's running statistics, affine parameters and batch
counter (so eval-mode BatchNorm does real work), and writes two safetensors files:

  * OUT_DIR/NAME.safetensors: the model's state dict under its own keys
    (e.g. layer1.0.conv1.weight), loadable as finegrain's `pretrained` file;
  * OUT_DIR/NAME.io.safetensors: `input`, a random [B, 3, S, S] batch (float32; B = 2 and
    S = 64 by default, `NAME:S` overrides S for one model), and `output`, the model's
    eval-mode output on it.

The safetensors format is written by hand (8-byte little-endian header length, JSON header,
raw little-endian bytes), so the test does not trust one serialiser on both sides. Files are
written under temporary names and renamed; the path of the state-dict file is printed once
both are complete, so a reader may start on a model while later ones are being exported.
With --pth, the same state dict is also written as OUT_DIR/NAME.pth by torch.save (PyTorch's
own zip format), for the checkpoint reader's parity test. With --lookahead K the script runs at most K models ahead of the reader, which acknowledges
each model with a line on stdin (a test that deletes files as it goes never holds more than
K + 1 models).
"""
import argparse
import json
import os
import sys

import torch
import torchvision

DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64', torch.float16: 'F16', torch.bfloat16: 'BF16'}


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        # A byte view of the tensor's memory: written without an intermediate copy.
        raw = memoryview(t.reshape(-1).view(torch.uint8).numpy()) if t.numel() else b''
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    head = json.dumps(header, separators=(',', ':')).encode('utf-8')
    head += b' ' * (-len(head) % 8)  # align the data section to 8 bytes
    tmp = path + '.partial'
    with open(tmp, 'wb') as f:
        f.write(len(head).to_bytes(8, 'little'))
        f.write(head)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def perturb_batchnorm(model, generator):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
                    m.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))


def export(name, out_dir, image_size, num_classes, batch, pth=False):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, num_classes=num_classes)
    generator = torch.Generator().manual_seed(1)
    perturb_batchnorm(model, generator)
    model.eval()
    x = torch.randn(batch, 3, image_size, image_size, generator=generator)
    with torch.no_grad():
        y = model(x)
    meta = {'model': name, 'torchvision': torchvision.__version__, 'image_size': str(image_size), 'num_classes': str(num_classes),
            'num_params': str(sum(p.numel() for p in model.parameters()))}
    path = os.path.join(out_dir, name + '.safetensors')
    write_safetensors(os.path.join(out_dir, name + '.io.safetensors'), {'input': x, 'output': y}, meta)
    write_safetensors(path, dict(model.state_dict()), meta)
    if pth:
        torch.save(model.state_dict(), os.path.join(out_dir, name + '.pth.partial'))
        os.replace(os.path.join(out_dir, name + '.pth.partial'), os.path.join(out_dir, name + '.pth'))
    print(path, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', help='torchvision model name(s), comma-separated')
    parser.add_argument('out_dir')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--lookahead', type=int, default=-1, help='export at most K models ahead of stdin acknowledgements')
    parser.add_argument('--pth', action='store_true', help='also write NAME.pth with torch.save')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    acknowledged = 0
    for i, spec in enumerate(args.names.split(',')):
        while args.lookahead >= 0 and i - acknowledged > args.lookahead:
            if not sys.stdin.readline():
                return 0  # the reader has gone: stop quietly
            acknowledged += 1
        name, _, size = spec.partition(':')
        export(name, args.out_dir, int(size) if size else args.image_size, args.num_classes, args.batch, args.pth)


if __name__ == '__main__':
    sys.exit(main())
