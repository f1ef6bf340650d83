#!/usr/bin/env bash
# One-call device check: builds the addon against the machine's libtorch (a pip PyTorch 2.x with
# CUDA on the GPU machine, see ../shared/device-kit/README.md), runs the CUDA-marked tests
# (build/test/cuda: tensor ops, float16 training with GradScaler and its resume, eval and serve
# on cuda against the CPU, a NCCL group), the training-step benchmark against PyTorch on the
# same GPU (bench/models --device cuda), the engine benchmark, and the CPU checks of this area
# (distributed, GradScaler), writing everything under $OUT (default: a temporary folder).
# Bounded to about 8 minutes in all (each step has its own timeout). On a CPU-only machine it
# runs the CPU parts and lists what it skipped in $OUT/summary.txt.
#
#   OUT=/tmp/dc scripts/device-check.sh            # here
#   scripts/device-check.sh                        # on the device machine, where run sets $OUT
#
# Node comes from PATH, or from .device/node.xz + .device/node-headers.tar.xz (the device kit,
# copied into the ignored .device/ folder and carried). node_modules/ and build/ must be present
# (carried, or as .device/node_modules.tar.xz and .device/build.tar.xz) for the TypeScript
# parts; without them those parts are skipped and say so. A pip PyTorch ships no Gloo headers:
# .device/include/gloo (Debian libgloo-dev's, carried) is installed where the build finds it.
set -u
cd "$(dirname "$0")/.."
# Started from inside a node --test run (as its own test does), the nested runs would skip their files.
unset NODE_TEST_CONTEXT
OUT=${OUT:-$(mktemp -d /tmp/device-check.XXXXXX)}
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
started=$(date +%s)
note() { echo "$*" | tee -a "$SUMMARY"; }
# step NAME SECONDS COMMAND...: runs with a timeout, output to $OUT/NAME.log, one summary line.
step() {
  local name=$1 limit=$2
  shift 2
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local took=$(($(date +%s) - t0))
  if [ $rc = 0 ]; then note "ok      $name (${took} s)"; elif [ $rc = 124 ] || [ $rc = 137 ]; then note "TIMEOUT $name after ${limit} s (see $name.log)"; else note "FAILED  $name (rc $rc, ${took} s; see $name.log)"; fi
  return $rc
}

# Node, from PATH or the device kit.
if ! command -v node >/dev/null 2>&1 && [ -f .device/node.xz ]; then
  xz -dc .device/node.xz >/tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
fi
if [ -z "${NODE_HEADERS:-}" ] && [ -f .device/node-headers.tar.xz ] && [ ! -f /usr/include/node/node_api.h ]; then
  mkdir -p /tmp/nodedir && tar -C /tmp/nodedir -xJf .device/node-headers.tar.xz && export NODE_HEADERS=/tmp/nodedir/include/node
fi
if ! command -v node >/dev/null 2>&1; then
  note "FAILED  no node on PATH and no .device/node.xz: nothing can run"
  exit 1
fi

# The carried bundles (a tarball travels smaller than the tree it holds).
for t in node_modules build; do
  if [ ! -d "$t/src" ] && [ ! -d "$t/.bin" ] && [ -f ".device/$t.tar.xz" ]; then tar -xJf ".device/$t.tar.xz"; fi
done
if [ -d .device/include/gloo ] && [ ! -d /usr/include/gloo ] && [ ! -d /usr/local/include/gloo ] && [ -w /usr/local/include ]; then
  cp -r .device/include/gloo /usr/local/include/
fi

# libtorch: a Python's torch with CUDA when there is one (the GPU machine), else find-libtorch's choice.
if [ -z "${LIBTORCH:-}" ]; then
  for py in python3 /usr/bin/python3; do
    dir=$("$py" -c 'import torch,os; print(os.path.dirname(torch.__file__)) if torch.cuda.is_available() else None' 2>/dev/null | grep -v None || true)
    if [ -n "$dir" ]; then export LIBTORCH=$dir FINEGRAIN_BENCH_PYTHON=${FINEGRAIN_BENCH_PYTHON:-$(command -v "$py")}; break; fi
  done
fi
# NCCL's header: pip's nvidia-nccl wheel, beside torch.
if [ -n "${LIBTORCH:-}" ] && [ -z "${NCCL_INCLUDE:-}" ]; then
  nccl=$(find "$LIBTORCH/../nvidia" -name nccl.h -path '*include*' 2>/dev/null | head -1)
  [ -n "$nccl" ] && export NCCL_INCLUDE=$(dirname "$nccl")
fi
note "device check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; libtorch: ${LIBTORCH:-found by scripts/find-libtorch.mjs}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/gpu.txt" 2>&1 && note "gpu: $(head -1 "$OUT/gpu.txt")"

# 1. The addon. A libtorch whose NCCL or c10d headers do not compile with ours still gets an
# addon (without NCCL, then without distributed support), so the rest of the check runs.
if ! step build-native 420 node scripts/build-native.mjs; then
  if FINEGRAIN_NCCL=0 step build-native-without-nccl 420 node scripts/build-native.mjs; then
    note "        (built without NCCL: its headers did not compile, see build-native.log)"
  elif FINEGRAIN_DISTRIBUTED=0 step build-native-without-distributed 420 node scripts/build-native.mjs; then
    note "        (built without distributed support: distributed.cc did not compile against this libtorch, see build-native.log)"
  else
    exit 1
  fi
fi

# 2. The TypeScript build (carried build/ is used when there is no compiler).
if [ -x node_modules/.bin/tsc ]; then
  step tsc 240 node_modules/.bin/tsc -p tsconfig.json || true
elif [ ! -f build/src/index.js ]; then
  note "SKIPPED everything in TypeScript: neither node_modules/.bin/tsc nor a built build/ is here (carry one of them)"
  exit 1
fi
if [ ! -d node_modules ]; then
  note "SKIPPED tests and benchmarks: node_modules/ is missing (carry it, or run npm ci)"
  exit 1
fi

node -e "import('./build/src/index.js').then(m => { console.log(JSON.stringify({ cuda: m.cuda.isAvailable(), devices: m.cuda.deviceCount?.() ?? null, distributed: m.distributed.distributedBackends() })) })" >"$OUT/capabilities.json" 2>&1
note "capabilities: $(cat "$OUT/capabilities.json")"
has_cuda=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$OUT/capabilities.json','utf8')).cuda ? 1 : 0)" 2>/dev/null || echo 0)

# 3. CUDA-marked tests (they skip themselves without a GPU), then the training-step benchmark
# against PyTorch on the GPU (the figure this check exists for), the engine benchmark in what
# is left, and this area's CPU checks last.
left() { echo $((480 - ($(date +%s) - started))); }
if [ "$has_cuda" = 1 ]; then
  step test-cuda 240 node --test --test-concurrency=1 build/test/cuda/*.test.js
  if [ "$(left)" -gt 90 ]; then
    step bench-models-cuda $(($(left) > 250 ? 240 : $(left) - 10)) node scripts/run-bench.mjs models --device cuda --out "$OUT/bench-models-cuda.json"
  else
    note "SKIPPED models benchmark on CUDA: only $(left) s left of the 8 minutes"
  fi
  if [ "$(left)" -gt 80 ]; then
    step bench-engine-cuda $(($(left) - 50)) node scripts/run-bench.mjs engine --quick --devices cuda --out "$OUT/bench-engine.json"
  else
    note "SKIPPED engine benchmark on CUDA: only $(left) s left of the 8 minutes"
  fi
else
  note "SKIPPED CUDA tests (build/test/cuda) and the CUDA benchmarks: no CUDA device"
  if [ "${DEVICE_CHECK_CPU_BENCH:-0}" = 1 ]; then
    step bench-engine-cpu $(($(left) > 70 ? $(left) - 10 : 60)) node scripts/run-bench.mjs engine --quick --devices cpu --out "$OUT/bench-engine.json"
  fi
fi
step test-cpu $(($(left) > 70 ? $(left) : 70)) node --test --test-concurrency=1 build/test/optim/grad-scaler.test.js build/test/distributed/collectives.test.js build/test/distributed/failures.test.js
note "done in $(($(date +%s) - started)) s; logs and results in $OUT"
if grep -q -E '^(FAILED|TIMEOUT)' "$SUMMARY"; then exit 1; fi
