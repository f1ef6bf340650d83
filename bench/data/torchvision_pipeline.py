"""The PyTorch side of bench/data (run by bench/data/run.ts under Debian's /usr/bin/python3).

  pipeline: torchvision + PIL, the standard recipe: PIL decode -> RandomResizedCrop(224) ->
            RandomHorizontalFlip -> AutoAugment(ImageNet) -> ToTensor -> Normalize, batched by a
            DataLoader with N worker processes; images/s from creating the loader to the last
            batch (worker start-up included, as finegrain's count includes its start-up).
  resnet50: one SGD training step of torchvision's resnet50 (fp32, batch B, 224 px), the
            work the pipeline has to feed; images/s over K timed steps after a warm-up.

Prints one JSON object on stdout.
"""
import argparse
import json
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms as T


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, paths, transform):
        self.paths = paths
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with open(self.paths[i], 'rb') as f:
            img = Image.open(f).convert('RGB')
        return self.transform(img), 0


def pipeline(args):
    torch.set_num_threads(1)
    paths = [p for p in open(args.list).read().split('\n') if p]
    tf = T.Compose([
        T.RandomResizedCrop(224),
        T.RandomHorizontalFlip(),
        T.AutoAugment(T.AutoAugmentPolicy.IMAGENET),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    loader = torch.utils.data.DataLoader(ListDataset(paths, tf), batch_size=args.batch, shuffle=True, num_workers=args.workers)
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    seconds = time.perf_counter() - start
    return {'images': n, 'seconds': seconds, 'imagesPerSecond': n / seconds}


def resnet50(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=100)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, 3, 224, 224)
    y = torch.randint(0, 100, (args.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    step()
    times = []
    for _ in range(args.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    return {'batch': args.batch, 'threads': args.threads, 'stepSeconds': times, 'imagesPerSecond': args.batch / median}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['pipeline', 'resnet50', 'info'])
    p.add_argument('--list')
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=3)
    args = p.parse_args()
    if args.mode == 'pipeline':
        out = pipeline(args)
    elif args.mode == 'resnet50':
        out = resnet50(args)
    else:
        import PIL
        out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'pillow': PIL.__version__}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
