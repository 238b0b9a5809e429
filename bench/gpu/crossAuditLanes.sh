#!/usr/bin/env bash
# Cross-backend audits on the GPU machine (issue 14), as parallel lanes that
# run in the background while the same device call does other work (remote.sh
# `audit-bg`), can be paused for the timed benchmarks (`audit-pause`,
# `audit-resume`: SIGSTOP / SIGCONT of the lanes' process group) and are
# collected at the end (`audit-collect`). Every lane writes JSON lines as it
# goes, so a lane cut short keeps what it finished.
#
#   bash bench/gpu/crossAuditLanes.sh OUTDIR [GPU_COUNT=100] [CPU_COUNT=100] [CHEAT_COUNT=30]
#
# Lanes (SmolLM2-135M Q4_1; task mix of bench/audit/taskSpecs.ts: greedy and
# sampled at t 0.7-1.0, 64-256 tokens):
#   gpu-<dtype>   honest tasks made on the GPU in float16 / bfloat16 / float32,
#                 then audited on the CPU (custom kernels, float32)
#   cpu-<i>       three lanes of honest tasks made on the CPU (float32), each
#                 then audited on the GPU in float16, bfloat16 and float32
#   cheat-<name>  the cheat set made on the GPU in float16 (a cheater declares
#                 the widest band), audited on the CPU
#   gpu-cost      the float16 GPU tasks audited on the GPU (audit cost there)
# POCKET_NUM_THREADS=2 for every CPU process: 16 cores shared by ~7 lanes.
# CROSS_AUDIT_DRY_RUN=1 stands MLX's CPU graph path in for the GPU.
set -uo pipefail
out=${1:?usage: crossAuditLanes.sh OUTDIR [GPU_COUNT] [CPU_COUNT] [CHEAT_COUNT]}
gpu_count=${2:-100}
cpu_count=${3:-100}
cheat_count=${4:-30}
mkdir -p "$out"
# The process group to SIGSTOP/SIGCONT (remote.sh audit-pause/resume): ours,
# whatever setsid did.
[ -n "${LANES_PGID_FILE:-}" ] && ps -o pgid= $$ | tr -d ' ' >"$LANES_PGID_FILE"
t0=$SECONDS
log() { echo "[lanes $(date +%H:%M:%S) +$((SECONDS - t0))s] $*" >>"$out/lanes.log"; }
dev() { # cpu|gpu -> env assignments
  if [ "$1" = gpu ] && [ "${CROSS_AUDIT_DRY_RUN:-0}" = 1 ]; then echo "POCKET_DEVICE=cpu POCKET_GRAPH_PATH=1 POCKET_NUM_THREADS=2"
  elif [ "$1" = gpu ]; then echo "POCKET_DEVICE=gpu POCKET_GRAPH_PATH=0"
  else echo "POCKET_DEVICE=cpu POCKET_GRAPH_PATH=0 POCKET_NUM_THREADS=2"; fi
}
gen() { # lane device dtype outfile first count [extra args]
  local lane=$1 d=$2 dt=$3 f=$4 first=$5 n=$6
  shift 6
  env $(dev "$d") node bench/audit/generate.ts --dtype "$dt" --out "$f" --first "$first" --count "$n" "$@" \
    >>"$out/lane-$lane.log" 2>&1
}
ver() { # lane device dtype tasks outfile
  env $(dev "$2") node bench/audit/verify.ts --dtype "$3" --tasks "$4" --out "$5" >>"$out/lane-$1.log" 2>&1
}
pids=()

for i in 0 1 2; do
  dt=(float16 bfloat16 float32)
  dt=${dt[$i]}
  (
    gen "gpu-$dt" gpu "$dt" "$out/tasks-cuda-$dt.jsonl" $((10000 * (i + 1))) "$gpu_count"
    log "gpu-$dt generated $(wc -l <"$out/tasks-cuda-$dt.jsonl")"
    ver "gpu-$dt" cpu float32 "$out/tasks-cuda-$dt.jsonl" "$out/audit-cuda-$dt-by-cpu-float32.jsonl"
    log "gpu-$dt audited on the CPU"
    if [ "$dt" = float16 ]; then
      ver gpu-cost gpu float16 "$out/tasks-cuda-float16.jsonl" "$out/audit-cuda-float16-by-cuda-float16.jsonl"
      log "gpu-cost done"
    fi
  ) &
  pids+=($!)
done

for i in 0 1 2; do
  (
    f=$out/tasks-cpu-float32-$i.jsonl
    gen "cpu-$i" cpu float32 "$f" $((i * cpu_count)) "$cpu_count"
    log "cpu-$i generated $(wc -l <"$f")"
    for dt in float16 bfloat16 float32; do
      ver "cpu-$i" gpu "$dt" "$f" "$out/audit-cpu-float32-$i-by-cuda-$dt.jsonl"
    done
    log "cpu-$i audited on the GPU"
  ) &
  pids+=($!)
done

(
  models=$(node bench/audit/cheatModels.ts 2>>"$out/lane-cheats.log")
  q4_0=$(echo "$models" | sed -n "s/.*q4_0: '\([^']*\)'.*/\1/p")
  drop2=$(echo "$models" | sed -n "s/.*drop2: '\([^']*\)'.*/\1/p")
  for c in kv4 temp0.6 q4_0 drop2; do
    extra=()
    case $c in
      q4_0) extra=(--cheat-model "$q4_0") ;;
      drop2) extra=(--cheat-model "$drop2") ;;
      temp0.6) extra=(--sampled-only) ;;
    esac
    f=$out/cheat-$c-cuda-float16.jsonl
    gen cheats gpu float16 "$f" 1000 "$cheat_count" --cheat "$c" "${extra[@]}"
    ver cheats cpu float32 "$f" "$out/audit-cheat-$c-cuda-float16-by-cpu-float32.jsonl"
    log "cheat $c: $(wc -l <"$f") tasks audited"
  done
) &
pids+=($!)

wait "${pids[@]}"
log "all lanes done"
node bench/audit/summarize.ts --title "Cross-backend audits on the GPU machine (lanes)" --out "$out/summary.json" \
  "$out"/audit-*.jsonl >"$out/summary.txt" 2>&1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/device.txt" 2>/dev/null
log "summary written"
touch "$out/.done"
