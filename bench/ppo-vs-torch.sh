#!/usr/bin/env bash
# Runs RlTune's PPO update/inference benchmark and PyTorch's (/work/shared/bench/torch_ppo_update.py)
# on the full-body and the lite shapes, interleaved, ROUNDS times each, and prints the ratio of the
# medians. The machine is shared: only ratios measured in the same run mean anything.
# Usage: [ROUNDS=3] [THREADS=2] bench/ppo-vs-torch.sh; needs python3-torch and libopenblas0-pthread: scripts/install-bench-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
TORCH=${TORCH:-/work/shared/bench/torch_ppo_update.py}
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "ppo-vs-torch: the peer needs python3-torch and libopenblas0-pthread; run scripts/install-bench-deps" >&2; exit 1; }
dotnet build bench/RlTune.Bench -c Release -v q --nologo >/dev/null
BENCH=bench/RlTune.Bench/bin/Release/net10.0/rltune-bench
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
run_shape() {
  local name=$1; shift
  local ours=() theirs=()
  for _ in $(seq "$ROUNDS"); do
    theirs+=("$(/usr/bin/python3 "$TORCH" "$@" --threads "$THREADS" 2>/dev/null | tail -1)")
    ours+=("$("$BENCH" ppo-update "$@" --threads "$THREADS" 2>/dev/null | tail -1)")
  done
  for metric in update_samples_per_s inference_env_steps_per_s; do
    o=$(printf '%s\n' "${ours[@]}" | field $metric | median)
    t=$(printf '%s\n' "${theirs[@]}" | field $metric | median)
    awk -v n="$name" -v m="$metric" -v o="$o" -v t="$t" 'BEGIN { printf "%-9s %-26s rltune=%-9.0f torch=%-9.0f ratio=%.2f\n", n, m, o, t, o / t }'
  done
}
run_shape full-body --obs 54 --act 12 --policy 256,128,64 --value 512,256,128 --batch 1536 --envs 2048
run_shape lite --obs 20 --act 3 --policy 128,64 --value 256,128 --batch 1536 --envs 2048
