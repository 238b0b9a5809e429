#!/usr/bin/env bash
# Builds llama.cpp's own `llama-bench` and `llama-server` from the llama.cpp
# source vendored in the pinned llama-cpp-python sdist (the same llama.cpp the
# Python peer and the fixtures use), into a cache outside the repository.
# Prints the bin folder. Usage: scripts/peers/build-llamacpp.sh [--print-dir]
#   POCKET_PEERS_DIR   cache root (default ~/.cache/pocketcloudmlx/peers)
#   POCKET_BUILD_JOBS  parallel compile jobs (default: number of cores)
set -euo pipefail

VERSION=0.3.36
ROOT="${POCKET_PEERS_DIR:-$HOME/.cache/pocketcloudmlx/peers}"
SRC="$ROOT/llama_cpp_python-$VERSION"
BUILD="$ROOT/llama.cpp-$VERSION-build"
BIN="$BUILD/bin"
if [[ "${1:-}" == "--print-dir" ]]; then echo "$BIN"; exit 0; fi
if [[ -x "$BIN/llama-bench" && -x "$BIN/llama-server" ]]; then echo "$BIN"; exit 0; fi

mkdir -p "$ROOT"
SDIST="$ROOT/llama_cpp_python-$VERSION.tar.gz"
if [[ ! -f "$SDIST" ]]; then
  # An sdist another step already downloaded (GPU staging), else the registry.
  for f in "$HOME/.cache/pocketcloudmlx/gpu-wheels/llama_cpp_python-$VERSION.tar.gz" \
           "$HOME/.cache/pocketcloudmlx/gpu-stage-work/wheels/llama_cpp_python-$VERSION.tar.gz"; do
    if [[ -f "$f" ]]; then cp "$f" "$SDIST"; break; fi
  done
fi
if [[ ! -f "$SDIST" ]]; then
  PY="$HOME/.cache/pocketcloudmlx/venv/bin/python"
  [[ -x "$PY" ]] || PY=python3
  "$PY" -m pip download --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$ROOT" >&2
fi
if [[ ! -d "$SRC" ]]; then
  tar xzf "$SDIST" -C "$ROOT"
fi
LLAMA="$SRC/vendor/llama.cpp"
[[ -f "$LLAMA/CMakeLists.txt" ]] || { echo "no vendored llama.cpp in $SDIST" >&2; exit 1; }

JOBS="${POCKET_BUILD_JOBS:-$(nproc)}"
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$LLAMA" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
  -DGGML_NATIVE=ON -DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$BIN" >&2
cmake --build "$BUILD" --target llama-bench llama-server -j "$JOBS" >&2
[[ -x "$BIN/llama-bench" && -x "$BIN/llama-server" ]] || { echo "build produced no binaries" >&2; exit 1; }
echo "$BIN"
