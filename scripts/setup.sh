#!/usr/bin/env bash
# One set-up for every entry point (demo, tests, benchmarks). Each step is skipped when it is
# already done, so running it again costs a few seconds.
#   scripts/setup.sh          libtorch, npm packages, native addon, TypeScript build
#   scripts/setup.sh --test   the same, plus the PyTorch oracle the tests compare against
#   scripts/setup.sh --install what `npm install finegrain` runs (package.json's install script):
#                              libtorch and the system libraries as above, then the addon; no npm
#                              packages (npm is installing them) and no TypeScript build (the
#                              package ships build/src)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("finegrain needs Node.js 20 or newer, this is " + process.version); process.exit(1) }'

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then
    log "apt-get update"
    apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# 1. libtorch (LIBTORCH, a Python with torch, or Debian's libtorch-dev)
if ! libtorch=$(node scripts/find-libtorch.mjs 2>/dev/null); then
  if can_apt; then
    apt_install libtorch-dev g++
    libtorch=$(node scripts/find-libtorch.mjs)
  else
    node scripts/find-libtorch.mjs # prints how to point LIBTORCH at a libtorch
    exit 1
  fi
fi

# 1b. an optimised BLAS under Debian's libtorch. It links the system's libblas.so.3, which is
# the unoptimised reference BLAS unless something better is installed: float32 matrix products
# (every Linear, all of ViT) run ~60x slower on it. OpenBLAS's OpenMP build shares libtorch's
# OpenMP thread pool; src/native/openblas-core.ts picks its kernels when it misreads the CPU.
libtorch_lib=$(node -e 'console.log(JSON.parse(process.argv[1]).lib)' "$libtorch")
blas=$(ldd "$libtorch_lib/libtorch_cpu.so" 2>/dev/null | awk '/libblas\.so\.3/ {print $3}' || true)
if [ -n "$blas" ] && ! readlink -f "$blas" | grep -q -E 'openblas|blis|mkl'; then
  if can_apt; then
    apt_install libopenblas0-openmp
  else
    log "libtorch uses the reference BLAS ($blas): float32 matrix products will be slow; install libopenblas0-openmp"
  fi
fi

# 1c. Gloo's headers, for data-parallel training (native/src/distributed.cc): Debian's
# libtorch-dev ships c10d's headers but not Gloo's, which they include. A pip PyTorch has them.
# Without them the addon builds without distributed support (and says so at run time).
libtorch_include=$(node -e 'console.log(JSON.parse(process.argv[1]).include[0])' "$libtorch")
if [ -f "$libtorch_include/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp" ] && [ ! -f "$libtorch_include/gloo/algorithm.h" ] && [ ! -f /usr/include/gloo/algorithm.h ]; then
  if can_apt; then
    apt_install libgloo-dev
  else
    log "Gloo headers missing (Debian: libgloo-dev) and no apt-get as root: distributed training will be unavailable"
  fi
fi

# 1d. oneDNN's headers, for inference's convolution plans (native/src/onednn-conv.cc): only
# where libtorch links the system libdnnl (Debian's does), so the addon calls the same library.
# Without them inference keeps aten::conv2d (slower on small networks, same results).
# ldd's output is captured first: under pipefail, `ldd | grep -q` fails whenever grep exits at
# its match before ldd has finished writing (SIGPIPE), which skipped this step at random.
libtorch_deps=$(ldd "$libtorch_lib/libtorch_cpu.so" 2>/dev/null || true)
if grep -q 'libdnnl\.so' <<<"$libtorch_deps" && [ ! -f /usr/include/dnnl.hpp ] && [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
  if can_apt; then
    apt_install libdnnl-dev
  else
    log "oneDNN headers missing (Debian: libdnnl-dev) and no apt-get as root: inference runs without convolution plans"
  fi
fi

# 2. the reference implementation the tests and benchmarks compare against
if [ "${1:-}" = "--test" ]; then
  if ! /usr/bin/python3 -c 'import torch, torchvision, onnx, fastapi, uvicorn, multipart' >/dev/null 2>&1; then
    if can_apt; then
      # torch/torchvision: the parity oracle and benchmark baseline; onnx: the checker for exported
      # files; fastapi/uvicorn/multipart: the Python serving peer of bench/serve.
      apt_install python3-torch python3-torchvision python3-numpy python3-onnx python3-fastapi python3-uvicorn python3-multipart
    else
      log "python3-torch/torchvision/onnx/fastapi missing and no apt-get as root: parity tests will be skipped"
    fi
  fi
  # A real browser for the web page's tests (driven by playwright-core through executablePath).
  if ! command -v chromium >/dev/null 2>&1; then
    if can_apt; then apt_install chromium; else log "chromium missing and no apt-get as root: browser tests will be skipped"; fi
  fi
fi

if [ "${1:-}" = "--install" ]; then
  # As a dependency: report what this install found, build the addon, and stop.
  log "libtorch: $(node -e 'const t = JSON.parse(process.argv[1]); console.log(t.source + " (" + t.lib + ")")' "$libtorch" 2>/dev/null || echo "$libtorch")"
  node scripts/build-native.mjs >&2
  exit 0
fi

# 3. npm packages, from the committed lockfile
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# 4. the native addon (incremental) and 5. the TypeScript build (incremental)
node scripts/build-native.mjs >&2
node_modules/.bin/tsc -p tsconfig.json >&2
