#!/usr/bin/env bash
# One-call device check: builds the addon against the machine's libtorch (a pip PyTorch 2.x with
# CUDA on the GPU machine, see ../shared/device-kit/README.md), runs the CUDA-marked tests
# (build/test/cuda), the CPU checks of this area (distributed, GradScaler), and the engine
# benchmark against PyTorch on the same GPU, writing everything under $OUT (default: a temporary
# folder). Bounded to about 8 minutes in all (each step has its own timeout). On a CPU-only
# machine it runs the CPU parts and lists what it skipped in $OUT/summary.txt.
#
#   OUT=/tmp/dc scripts/device-check.sh            # here
#   scripts/device-check.sh                        # on the device machine, where run sets $OUT
#
# Node comes from PATH, or from .device/node.xz + .device/node-headers.tar.xz (the device kit,
# copied into the ignored .device/ folder and carried). node_modules/ and build/ must be present
# (carried) for the TypeScript parts; without them those parts are skipped and say so.
set -u
cd "$(dirname "$0")/.."
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

# libtorch: a Python's torch with CUDA when there is one (the GPU machine), else find-libtorch's choice.
if [ -z "${LIBTORCH:-}" ]; then
  for py in python3 /usr/bin/python3; do
    dir=$("$py" -c 'import torch,os; print(os.path.dirname(torch.__file__)) if torch.cuda.is_available() else None' 2>/dev/null | grep -v None || true)
    if [ -n "$dir" ]; then export LIBTORCH=$dir; break; fi
  done
fi
note "device check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; libtorch: ${LIBTORCH:-found by scripts/find-libtorch.mjs}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/gpu.txt" 2>&1 && note "gpu: $(head -1 "$OUT/gpu.txt")"

# 1. The addon. A libtorch whose c10d headers do not compile with ours still gets an addon
# without distributed support, so the rest of the check runs.
if ! step build-native 420 node scripts/build-native.mjs; then
  if FINEGRAIN_DISTRIBUTED=0 step build-native-without-distributed 420 node scripts/build-native.mjs; then
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

# 3. Tests: CUDA-marked ones (they skip themselves without a GPU), and this area's CPU checks.
if [ "$has_cuda" = 1 ]; then
  step test-cuda 300 node --test --test-concurrency=1 build/test/cuda/*.test.js
else
  note "SKIPPED CUDA tests (build/test/cuda): no CUDA device"
fi
step test-cpu 300 node --test --test-concurrency=1 build/test/optim/grad-scaler.test.js build/test/distributed/collectives.test.js build/test/distributed/failures.test.js

# 4. Benchmarks against PyTorch on the same device, in what is left of the 8 minutes.
left=$((480 - ($(date +%s) - started)))
if [ "$has_cuda" = 1 ] && [ $left -gt 60 ]; then
  step bench-engine-cuda $((left - 10)) node scripts/run-bench.mjs engine --quick --devices cuda --out "$OUT/bench-engine.json"
  note "SKIPPED models benchmark on CUDA: bench/models has no CUDA path yet (CPU only)"
elif [ "$has_cuda" = 1 ]; then
  note "SKIPPED benchmarks: only ${left} s left of the 8 minutes"
elif [ "${DEVICE_CHECK_CPU_BENCH:-0}" = 1 ]; then
  step bench-engine-cpu $((left > 60 ? left - 10 : 60)) node scripts/run-bench.mjs engine --quick --devices cpu --out "$OUT/bench-engine.json"
else
  note "SKIPPED benchmarks: no CUDA device (DEVICE_CHECK_CPU_BENCH=1 runs the engine benchmark on CPU)"
fi
note "done in $(($(date +%s) - started)) s; logs and results in $OUT"
if grep -q -E '^(FAILED|TIMEOUT)' "$SUMMARY"; then exit 1; fi
