#!/usr/bin/env python3
"""PyTorch's side of bench/weights: times torch.load of one file (map_location='cpu') and
reports the peak resident memory the load added (VmHWM after, minus VmRSS before).

    /usr/bin/python3 bench/weights/torch_load.py FILE   ->  {"seconds": s, "peakBytes": b, "bytes": b}
"""
import json
import sys
import time

import torch


def status(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    return 0


def main(path):
    torch.set_num_threads(1)
    before = status('VmRSS')
    t0 = time.perf_counter()
    sd = torch.load(path, map_location='cpu')
    seconds = time.perf_counter() - t0
    total = sum(v.numel() * v.element_size() for v in sd.values())
    print(json.dumps({'seconds': seconds, 'peakBytes': status('VmHWM') - before, 'bytes': total}))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
