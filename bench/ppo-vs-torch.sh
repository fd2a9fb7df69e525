#!/usr/bin/env bash
# Runs RlTune's PPO update/inference benchmark and PyTorch's (../shared/bench/torch_ppo_update.py, beside the repository)
# on the full-body and the lite shapes, interleaved, ROUNDS times each, and prints medians and ratios.
# PyTorch runs in several thread settings, because torch.set_num_threads does not bound OpenBLAS's own
# pthread pool (libopenblas0-pthread): "stated" is the issue's setting (--threads THREADS, environment
# untouched), "torchN-blasN" sets torch, OpenMP and OpenBLAS consistently to N threads, "torch1-blas2"
# is one torch thread over a two-thread OpenBLAS (what an unset environment gives on 2 cores). Each
# metric's ratio is quoted against the stated setting and against the best peer setting of this run.
# The machine is shared: only ratios measured in the same run mean anything; uptime is printed beside them.
# Usage: [ROUNDS=3] [THREADS=2] [ITERS=200] [SHAPES="full-body lite"] bench/ppo-vs-torch.sh; needs python3-torch and libopenblas0-pthread: scripts/install-bench-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
TORCH=${TORCH:-../shared/bench/torch_ppo_update.py}
SHAPES=${SHAPES:-full-body lite}
ITERS=${ITERS:-200} # timed iterations of each side (after the same 20 warm-up ones)
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "ppo-vs-torch: the peer needs python3-torch and libopenblas0-pthread; run scripts/install-bench-deps" >&2; exit 1; }
dotnet build bench/RlTune.Bench -c Release -v q --nologo >/dev/null
BENCH=bench/RlTune.Bench/bin/Release/net10.0/rltune-bench
PROBE=bench/peer_probe.py
PEERS=(stated torch1-blas1 torch2-blas2 torch1-blas2)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run_peer() { # name shape-args...: one peer run, stdout's last line to $tmp/peer-NAME, probe line to $tmp/probe-NAME
  local peer=$1; shift
  local -a envs=() ; local th
  case $peer in
    stated) th=$THREADS ;;
    torch1-blas1) th=1; envs=(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1) ;;
    torch2-blas2) th=2; envs=(OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2) ;;
    torch1-blas2) th=1; envs=(OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1) ;;
  esac
  env "${envs[@]}" /usr/bin/python3 "$PROBE" "$TORCH" "$@" --threads "$th" --iters "$ITERS" >"$tmp/out" 2>"$tmp/err" || true
  tail -1 "$tmp/out" >>"$tmp/peer-$peer"
  grep '^peer ' "$tmp/err" | tail -1 >"$tmp/probe-$peer" || true
}

run_shape() {
  local name=$1; shift
  rm -f "$tmp"/peer-* "$tmp"/probe-* "$tmp/ours"
  for _ in $(seq "$ROUNDS"); do
    for peer in "${PEERS[@]}"; do
      run_peer "$peer" "$@"
      [ "$peer" = torch1-blas1 ] && "$BENCH" ppo-update "$@" --threads "$THREADS" --iters "$ITERS" 2>/dev/null | tail -1 >>"$tmp/ours"
    done
  done
  for peer in "${PEERS[@]}"; do printf '%-9s peer %-13s %s\n' "$name" "$peer" "$(cat "$tmp/probe-$peer")"; done
  for metric in update_samples_per_s inference_env_steps_per_s; do
    local o stated best=0 bestName=""
    o=$(field $metric <"$tmp/ours" | median)
    local line
    line=$(printf '%-9s %-26s rltune=%-9.0f' "$name" "$metric" "$o")
    for peer in "${PEERS[@]}"; do
      local t; t=$(field $metric <"$tmp/peer-$peer" | median)
      [ "$peer" = stated ] && stated=$t
      if awk -v t="$t" -v b="$best" 'BEGIN { exit !(t > b) }'; then best=$t; bestName=$peer; fi
      line+=$(printf ' %s=%.0f' "$peer" "$t")
    done
    echo "$line"
    awk -v n="$name" -v m="$metric" -v o="$o" -v s="$stated" -v b="$best" -v bn="$bestName" \
      'BEGIN { printf "%-9s %-26s ratio_vs_stated=%.2f ratio_vs_best=%.2f (best peer: %s)\n", n, m, o / s, o / b, bn }'
  done
}

echo "rltune threads=$THREADS rounds=$ROUNDS iters=$ITERS; $(uptime)"
for shape in $SHAPES; do
  case $shape in
    full-body) run_shape full-body --obs 54 --act 12 --policy 256,128,64 --value 512,256,128 --batch 1536 --envs 2048 ;;
    lite) run_shape lite --obs 19 --act 3 --policy 128,64 --value 256,128 --batch 1536 --envs 2048 ;;
  esac
done
echo "done; $(uptime)"
