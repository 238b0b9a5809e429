#!/usr/bin/env bash
# Cross-backend audits on the GPU machine (issue 14): honest SmolLM2 tasks
# (bench/audit/taskSpecs.ts: greedy and sampled, 64-256 tokens) generated on
# the GPU in float16, bfloat16 and float32 and audited on the CPU (custom
# kernels, float32); the reverse, tasks generated on the CPU and audited on
# the GPU in each dtype; and GPU float16 tasks audited on the GPU (audit cost
# there). One command, run from the repo root with node on PATH:
#   bash bench/gpu/crossAudit.sh OUTDIR [COUNT_PER_SET=100] [FIRST=0]
# Everything stays inside AUDIT_BUDGET_S (default 540 s, a device call is 10
# minutes): each process stops starting tasks when its share is spent and
# keeps what it finished, so a call returns partial sets rather than
# nothing. Run it again with FIRST advanced (e.g. 0, 100, 200 ...) until
# each direction has >= 300 tasks; then, here:
#   node bench/audit/summarize.ts --out bench/results/audit-cross-gpu-<date>.json DIR*/audit-*.jsonl
# OUTDIR gets tasks-*.jsonl, audit-*.jsonl, summary.json, logs.
# CROSS_AUDIT_DRY_RUN=1 stands the CPU graph path in for the GPU (to check
# this script on a machine without one).
set -uo pipefail
out=${1:?usage: crossAudit.sh OUTDIR [COUNT] [FIRST]}
count=${2:-100}
first=${3:-0}
budget=${AUDIT_BUDGET_S:-540}
mkdir -p "$out"
t0=$SECONDS
left() { echo $((budget - (SECONDS - t0))); }
log() { echo "[cross-audit $(date +%H:%M:%S) +$((SECONDS - t0))s] $*"; }
device() { # the POCKET_DEVICE / POCKET_GRAPH_PATH of "cpu" or "gpu"
  if [ "$1" = gpu ] && [ "${CROSS_AUDIT_DRY_RUN:-0}" = 1 ]; then echo "POCKET_DEVICE=cpu POCKET_GRAPH_PATH=1"
  else echo "POCKET_DEVICE=$1 POCKET_GRAPH_PATH=0"; fi
}
gen() { # device dtype outfile first budget
  env $(device "$1") node bench/audit/generate.ts --dtype "$2" --out "$3" \
    --first "$4" --count "$count" --budget-s "$5" >>"$out/generate-$1-$2.log" 2>&1
}
ver() { # device dtype tasks outfile budget
  env $(device "$1") node bench/audit/verify.ts --dtype "$2" --tasks "$3" \
    --out "$4" --budget-s "$5" >>"$out/verify-$1-$2.log" 2>&1
}

# Reverse direction's node: the CPU generates for most of the budget, on its
# own cores, while the GPU works on the forward direction.
gen cpu float32 "$out/tasks-cpu-float32.jsonl" "$first" $((budget * 55 / 100)) &
cpu_gen=$!

# Forward: each GPU dtype generates for its share, then the CPU audits it in
# the background while the GPU moves on. A fresh machine compiles MLX's CUDA
# kernels on first use (minutes): the first share is the largest.
shares=(25 15 12)
dtypes=(float16 bfloat16 float32)
cpu_audits=()
for i in 0 1 2; do
  dt=${dtypes[$i]}
  log "GPU $dt generates (share ${shares[$i]}%)"
  gen gpu "$dt" "$out/tasks-cuda-$dt.jsonl" $((first + 10000 * (i + 1))) $((budget * shares[i] / 100))
  log "GPU $dt: $(wc -l <"$out/tasks-cuda-$dt.jsonl" 2>/dev/null || echo 0) tasks; the CPU audits them"
  ver cpu float32 "$out/tasks-cuda-$dt.jsonl" "$out/audit-cuda-$dt-by-cpu-float32.jsonl" $(($(left) - 30)) &
  cpu_audits+=($!)
done

# GPU-on-GPU (float16): audit cost on the GPU as a share of generation.
ver gpu float16 "$out/tasks-cuda-float16.jsonl" "$out/audit-cuda-float16-by-cuda-float16.jsonl" 60

wait $cpu_gen
log "CPU generated $(wc -l <"$out/tasks-cpu-float32.jsonl" 2>/dev/null || echo 0) tasks; the GPU audits them in each dtype"
share=$(($(left) / 3 - 5))
for dt in float16 bfloat16 float32; do
  ver gpu "$dt" "$out/tasks-cpu-float32.jsonl" "$out/audit-cpu-float32-by-cuda-$dt.jsonl" "$share"
done
wait "${cpu_audits[@]}"

log "summary"
node bench/audit/summarize.ts --title "GPU machine, FIRST=$first" --out "$out/summary.json" "$out"/audit-*.jsonl \
  >"$out/summary.txt" 2>&1
cat "$out/summary.txt"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/device.txt" 2>/dev/null
log "done in $((SECONDS - t0)) s"
