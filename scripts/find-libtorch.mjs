// Locates a libtorch to build against, in this order:
//   1. the LIBTORCH environment variable (a folder with include/ and lib/);
//   2. a Python that has torch installed (pip or Debian): its torch/include and torch/lib;
//   3. Debian's libtorch-dev (/usr/include/torch, /usr/lib/<triplet>/libtorch.so).
// Prints JSON {root, include[], lib, cuda, source} or exits 1 with how to fix it.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function layout(root, source) {
  const include = [join(root, 'include'), join(root, 'include/torch/csrc/api/include')];
  const lib = join(root, 'lib');
  if (!existsSync(join(include[0], 'ATen/ATen.h')) || !existsSync(join(lib, 'libtorch.so'))) return null;
  return { root, include, lib, cuda: existsSync(join(lib, 'libtorch_cuda.so')), source };
}

function fromPython() {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    try {
      const dir = execFileSync(py, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__))'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      const found = layout(dir, `python (${py})`);
      if (found) return found;
    } catch {
      // this Python has no torch; try the next
    }
  }
  return null;
}

function fromDebian() {
  const triplets = ['x86_64-linux-gnu', 'aarch64-linux-gnu'];
  for (const t of triplets) {
    const lib = `/usr/lib/${t}`;
    if (existsSync('/usr/include/ATen/ATen.h') && existsSync(join(lib, 'libtorch.so'))) {
      return {
        root: '/usr',
        include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
        lib,
        cuda: existsSync(join(lib, 'libtorch_cuda.so')),
        source: 'debian libtorch-dev',
      };
    }
  }
  return null;
}

export function findLibtorch() {
  if (process.env.LIBTORCH) {
    const found = layout(process.env.LIBTORCH, 'LIBTORCH');
    if (!found) throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no include/ATen/ATen.h and lib/libtorch.so`);
    return found;
  }
  return fromPython() ?? fromDebian();
}

export const HOW_TO_FIX = `No libtorch found. Point LIBTORCH at one, e.g.
  - Debian/Ubuntu:   sudo apt-get install libtorch-dev   (CPU, libtorch 1.13)
  - pip PyTorch:     export LIBTORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
  - a libtorch zip:  export LIBTORCH=/path/to/libtorch   (the folder holding include/ and lib/)`;

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const found = findLibtorch();
  if (!found) {
    console.error(HOW_TO_FIX);
    process.exit(1);
  }
  console.log(JSON.stringify(found));
}
