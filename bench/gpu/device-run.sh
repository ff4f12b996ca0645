#!/usr/bin/env bash
# bench:gpu on the GPU machine, following /work/shared/GPU.md's recipe: that machine has the NVIDIA driver
# but no Node and no Vulkan loader, and a run takes at most 64 MiB of files along.
#
#   bash bench/gpu/device-run.sh prepare   # here: builds bench/gpu/dist/kit (ignored by git), ≈ 33 MB
#   bash bench/gpu/device-run.sh check     # here: runs the kit's bundle as the GPU machine will, on SwiftShader
#   bash bench/gpu/device-run.sh device    # there, from the repository root, with bench/gpu/dist carried:
#                                          # figures to $OUT/bench-gpu.json (and the log beside it)
#
# With the device tool: run(command="bash bench/gpu/device-run.sh device", carry=["bench/gpu/dist"],
# timeout_s=300). The whole run takes about a minute of the machine once it is up.
set -euo pipefail
cd "$(dirname "$0")/../.."
KIT=bench/gpu/dist/kit

prepare() {
  rm -rf "$KIT" && mkdir -p "$KIT/node_modules/webgpu/dist/linux-x64" "$KIT/debs"
  # The bench as one file: only `webgpu` (a native module) stays outside it.
  npx esbuild bench/gpu/run.ts --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --log-level=warning --outfile="$KIT/bench-gpu.mjs"
  # Kernel files are read from the workloads folder, which does not travel: write them down.
  npx tsx bench/gpu/run.ts --write-kernels "$KIT/kernels.json"
  # Node itself (the GPU machine has none), stripped and compressed.
  cp "$(command -v node)" "$KIT/node" && strip "$KIT/node" && xz -T2 -f "$KIT/node"
  # Dawn: the package's entry and the Linux x64 build only.
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$KIT/node_modules/webgpu/"
  xz -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$KIT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  # The Vulkan loader and the GL dispatch libraries the NVIDIA ICD needs ("Could not get 'vkCreateInstance'").
  (cd "$KIT/debs" && apt-get download libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libgles2 libopengl0 >/dev/null)
  du -sh "$KIT"
}

unpack() {
  local into=$1
  mkdir -p "$into/node_modules/webgpu/dist/linux-x64"
  xz -dc "$KIT/node.xz" >"$into/node" && chmod +x "$into/node"
  cp "$KIT/bench-gpu.mjs" "$KIT/kernels.json" "$into/"
  cp "$KIT/node_modules/webgpu/index.js" "$KIT/node_modules/webgpu/package.json" "$into/node_modules/webgpu/"
  xz -dc "$KIT/node_modules/webgpu/dist/linux-x64/dawn.node.xz" >"$into/node_modules/webgpu/dist/linux-x64/dawn.node"
}

check() {
  local dir=.bench/gpu-kit && rm -rf "$dir" && unpack "$dir"
  # No Vulkan loader on the system here: the bench falls back to Chromium's and SwiftShader by itself.
  "$dir/node" "$dir/bench-gpu.mjs" --json --budget tiny --kernels "$dir/kernels.json" | tail -1
}

device() {
  local out=${OUT:-/tmp/out} dir=/tmp/bricolage-gpu
  mkdir -p "$out" && rm -rf "$dir" && unpack "$dir"
  for deb in "$KIT"/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
  local icd
  icd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1 || true)
  [ -n "$icd" ] || { echo "no nvidia_icd.json found" >&2; exit 1; }
  export VK_DRIVER_FILES=$icd
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt" || true
  # Twice: the first run also pays for the driver's shader cache.
  for i in 1 2; do
    "$dir/node" "$dir/bench-gpu.mjs" --json --kernels "$dir/kernels.json" >"$out/bench-gpu-$i.json" 2>"$out/bench-gpu-$i.log"
  done
  cat "$out"/bench-gpu-*.log
}

"${1:?usage: device-run.sh prepare|check|device}"
