#!/usr/bin/env bash
# Packs what scripts/device-check.sh needs on the GPU machine (which has no Node.js, no npm
# registry and no network) into the ignored .device/ folder, under the device tool's 64 MiB:
#   node.xz, node-headers.tar.xz   the device kit (../shared/device-kit): Node 20 and its headers
#   node_modules.tar.xz            the production dependencies, less ONNX Runtime (~11 MB)
#   build.tar.xz                   the compiled TypeScript: build/src, build/test, build/bench
#   include/gloo                   Debian libgloo-dev's headers (a pip PyTorch ships none)
# Then, with the device tool:  run --carry .device  "R=$OUT; export OUT=/tmp/dc; mkdir -p $OUT;
#   timeout 550 bash scripts/device-check.sh >/tmp/dc/console.log 2>&1; tar -czf $R/dc.tgz -C /tmp dc;
#   cp /tmp/dc/summary.txt /tmp/dc/bench-models-cuda.json $R/; cat /tmp/dc/summary.txt"
# (the tool brings back at most 8 files, hence the one tarball of every log).
set -euo pipefail
cd "$(dirname "$0")/.."
kit=${DEVICE_KIT:-../shared/device-kit}
[ -f "$kit/node.xz" ] || { echo "device kit not found at $kit (set DEVICE_KIT)" >&2; exit 1; }
[ -d /usr/include/gloo ] || { echo "Gloo headers missing: apt-get install libgloo-dev" >&2; exit 1; }
[ -f build/src/index.js ] || { echo "build/ missing: run scripts/setup.sh --test (or npx tsc -p .) first" >&2; exit 1; }
rm -rf .device && mkdir -p .device/include
cp "$kit/node.xz" "$kit/node-headers.tar.xz" .device/
cp -r /usr/include/gloo .device/include/
tar -cJf .device/build.tar.xz build/src build/test build/bench
# The production closure as npm resolves it, without ONNX Runtime's native and web builds (the
# device check does not export or serve ONNX) and without type declarations and maps.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' | grep -v -E 'onnxruntime-(node|web)' | sort -u |
  while read -r d; do mkdir -p "$stage/$(dirname "$d")" && cp -r "$d" "$stage/$d"; done
find "$stage/node_modules" \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete
tar -C "$stage" -cJf .device/node_modules.tar.xz node_modules
du -sh .device
