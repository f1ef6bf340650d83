#!/usr/bin/env python3
"""Exports a randomly initialised torchvision classifier for finegrain's parity tests.

    /usr/bin/python3 scripts/oracle/export_torchvision.py NAME[,NAME...] OUT_DIR [--image-size S] [--num-classes N]

For each NAME, builds torchvision.models.NAME with a fixed seed, perturbs every BatchNorm's
running statistics, affine parameters and batch counter (so eval-mode BatchNorm does real
work), and writes OUT_DIR/NAME.safetensors holding:

  * the model's state dict under its own keys (e.g. layer1.0.conv1.weight),
  * `__input__`: a random input [2, 3, S, S] (float32),
  * `__output__`: the model's eval-mode output on it (float32).

The safetensors format is written by hand (8-byte little-endian header length, JSON header,
raw little-endian bytes), so the test does not trust one serialiser on both sides. Each file
is written to a temporary name and renamed, and its path printed once complete, so a reader
may start on it while later models are still being exported.
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
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b''
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


def export(name, out_dir, image_size, num_classes):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, num_classes=num_classes)
    generator = torch.Generator().manual_seed(1)
    perturb_batchnorm(model, generator)
    model.eval()
    x = torch.randn(2, 3, image_size, image_size, generator=generator)
    with torch.no_grad():
        y = model(x)
    tensors = dict(model.state_dict())
    tensors['__input__'] = x
    tensors['__output__'] = y
    meta = {'model': name, 'torchvision': torchvision.__version__, 'image_size': str(image_size), 'num_classes': str(num_classes),
            'num_params': str(sum(p.numel() for p in model.parameters()))}
    path = os.path.join(out_dir, name + '.safetensors')
    write_safetensors(path, tensors, meta)
    print(path, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', help='torchvision model name(s), comma-separated')
    parser.add_argument('out_dir')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.names.split(','):
        export(name, args.out_dir, args.image_size, args.num_classes)


if __name__ == '__main__':
    sys.exit(main())
