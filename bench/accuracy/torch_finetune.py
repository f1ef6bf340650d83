"""The PyTorch fine-tune a user would write, as bench/accuracy's baseline.

torchvision's mobilenet_v2 with the same starting weights as finegrain (the ImageNet import,
its BatchNorms recalibrated on training images, saved by bench/accuracy as safetensors with
torchvision's key names), the same images (CSV lists written by the benchmark), a standard
recipe: AdamW, linear warm-up then cosine, label smoothing 0.1, RandomResizedCrop + flip at
224 px, ImageNet normalisation. The epoch count fits the budget: the first epoch is timed and
the schedule planned for as many epochs as the remaining time holds, as a user who times one
epoch would do.

Usage: torch_finetune.py --weights W.safetensors --train train.csv --val val.csv
         --classes N --budget SECONDS --lr LR --out result.json --save model.pt
       torch_finetune.py --load model.pt --test test.csv --classes N --out test.json
The first trains and scores the validation split; the second is the one final evaluation of
the chosen run on the test list.
"""
import argparse
import csv
import json
import math
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
from PIL import Image

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def read_safetensors(path):
    """A safetensors file as a dict of tensors (the format: 8-byte header size, JSON header, data)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {'F32': np.float32, 'I64': np.int64, 'F16': np.float16}
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        arr = np.frombuffer(data[a:b], dtype=dtypes[info['dtype']]).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, csv_path, transform):
        with open(csv_path) as f:
            self.rows = [(r[0], int(r[1])) for r in csv.reader(f)]
        self.transform = transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, label = self.rows[i]
        return self.transform(Image.open(path).convert('RGB')), label


def evaluate(model, loader, classes):
    model.eval()
    correct1 = correct5 = n = 0
    per_class = np.zeros((classes, 2))
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            top5 = logits.topk(min(5, classes), 1).indices
            hit1 = top5[:, 0] == y
            correct1 += hit1.sum().item()
            correct5 += (top5 == y[:, None]).any(1).sum().item()
            n += len(y)
            for label, h in zip(y.tolist(), hit1.tolist()):
                per_class[label] += (h, 1)
    seen = per_class[:, 1] > 0
    return {'top1': correct1 / n, 'top5': correct5 / n, 'meanClass': float((per_class[seen, 0] / per_class[seen, 1]).mean()), 'images': n}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    for k in ['weights', 'train', 'val', 'test', 'save', 'load']:
        p.add_argument('--' + k)
    p.add_argument('--classes', type=int, required=True)
    p.add_argument('--budget', type=float)
    p.add_argument('--lr', type=float)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--image-size', type=int, default=224)
    a = p.parse_args()
    started = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    model = torchvision.models.mobilenet_v2(num_classes=a.classes)
    eval_tf = T.Compose([T.Resize((a.image_size, a.image_size)), T.ToTensor(), T.Normalize(MEAN, STD)])
    loader = lambda path, tf, shuffle: torch.utils.data.DataLoader(
        ListDataset(path, tf), batch_size=a.batch_size, shuffle=shuffle, num_workers=2, drop_last=shuffle, persistent_workers=shuffle)
    if a.load:
        model.load_state_dict(torch.load(a.load))
        result = evaluate(model, loader(a.test, eval_tf, False), a.classes)
        with open(a.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(json.dumps(result))
        return
    state = {k: v for k, v in read_safetensors(a.weights).items() if not k.startswith('classifier.')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith('classifier.') for k in missing), (missing, unexpected)

    train_tf = T.Compose([T.RandomResizedCrop(a.image_size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
    train_loader = loader(a.train, train_tf, True)
    val_loader = loader(a.val, eval_tf, False)

    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.05)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    steps_per_epoch = len(train_loader)
    warmup = steps_per_epoch
    total_steps = None  # known after the first epoch is timed
    step = 0
    epochs = 0
    epoch_seconds = []
    while True:
        t0 = time.time()
        model.train()
        for x, y in train_loader:
            if step < warmup:
                lr = a.lr * (step + 1) / warmup
            else:
                span = max(1, (total_steps or warmup * 10) - warmup)
                lr = 0.01 * a.lr + 0.99 * a.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / span)))
            for g in opt.param_groups:
                g['lr'] = lr
            loss = criterion(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        epochs += 1
        epoch_seconds.append(time.time() - t0)
        if total_steps is None:
            # Plan from the first epoch: keep one epoch's time for the final validation.
            left = a.budget - (time.time() - started) - epoch_seconds[0] * 0.4
            total_epochs = max(1, 1 + int(left // epoch_seconds[0]))
            total_steps = total_epochs * steps_per_epoch
        if epochs * steps_per_epoch >= total_steps:
            break
        if time.time() - started + epoch_seconds[-1] * 1.4 > a.budget:
            break  # slower than planned: stop rather than overrun
    val = evaluate(model, val_loader, a.classes)
    train_seconds = time.time() - started
    result = {'lr': a.lr, 'epochs': epochs, 'trainSeconds': train_seconds, 'epochSeconds': epoch_seconds, 'val': val}
    torch.save(model.state_dict(), a.save)
    with open(a.out, 'w') as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ['lr', 'epochs', 'trainSeconds', 'val']}))


if __name__ == '__main__':
    main()
