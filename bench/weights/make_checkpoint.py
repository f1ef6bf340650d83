#!/usr/bin/env python3
"""Writes one torchvision model's random state dict twice for bench/weights: NAME.pth with
torch.save (PyTorch's zip format) and NAME.safetensors written by hand (8-byte header length,
JSON header, raw bytes), so neither side's serialiser is trusted by the other.

    /usr/bin/python3 bench/weights/make_checkpoint.py NAME OUT_DIR
"""
import json
import os
import sys

import torch
import torchvision

NAMES = {torch.float32: 'F32', torch.int64: 'I64'}


def main(name, out_dir):
    torch.manual_seed(0)
    sd = torchvision.models.get_model(name, weights=None).state_dict()
    torch.save(sd, os.path.join(out_dir, name + '.pth'))
    header, offset = {}, 0
    for k, v in sd.items():
        n = v.numel() * v.element_size()
        header[k] = {'dtype': NAMES[v.dtype], 'shape': list(v.shape), 'data_offsets': [offset, offset + n]}
        offset += n
    head = json.dumps(header).encode()
    head += b' ' * (-len(head) % 8)
    with open(os.path.join(out_dir, name + '.safetensors'), 'wb') as f:
        f.write(len(head).to_bytes(8, 'little'))
        f.write(head)
        for v in sd.values():
            f.write(memoryview(v.contiguous().reshape(-1).view(torch.uint8).numpy()))
    print(json.dumps({'bytes': offset, 'tensors': len(sd)}))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
