#!/usr/bin/env bash
# Square SGEMM GFLOP/s of `rltune-bench gemm` against OpenBLAS (through torch) with the SAME thread count,
# interleaved, ROUNDS times, medians and ratios. OpenBLAS gets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
# torch threads all set to N (bench/openblas_gemm.py), which also prints the cores its timed loop really
# used. For comparison it also runs ../shared/bench/gemm_peak.py (beside the repository) as it is: its "threads=1" line only
# sets torch's threads, which does not bound OpenBLAS's pthread pool, so it computes on two threads.
# Usage: [ROUNDS=3] [N=2048] bench/gemm-vs-openblas.sh; needs python3-torch and libopenblas0-pthread: scripts/install-bench-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "gemm-vs-openblas: the peer needs python3-torch and libopenblas0-pthread; run scripts/install-bench-deps" >&2; exit 1; }
ROUNDS=${ROUNDS:-3}
N=${N:-2048}
dotnet build bench/RlTune.Bench -c Release -v q --nologo >/dev/null
BENCH=bench/RlTune.Bench/bin/Release/net10.0/rltune-bench
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "rounds=$ROUNDS n=$N; $(uptime)"
for _ in $(seq "$ROUNDS"); do
  for t in 1 2; do
    OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t /usr/bin/python3 bench/openblas_gemm.py --threads $t --n "$N" >>"$tmp/blas$t"
  done
  "$BENCH" gemm --n "$N" >>"$tmp/ours"
  /usr/bin/python3 ../shared/bench/gemm_peak.py >>"$tmp/peak"
  env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS /usr/bin/python3 bench/openblas_gemm.py --threads 1 --n "$N" >>"$tmp/peak1"
done
for t in 1 2; do
  o=$(sed -n "s/^threads=$t sgemm.*: \([0-9.]*\) GFLOP.*/\1/p" "$tmp/ours" | median)
  b=$(sed -n 's/.*gflops=\([0-9.]*\).*/\1/p' "$tmp/blas$t" | median)
  c=$(sed -n 's/.*cores_used=\([0-9.]*\).*/\1/p' "$tmp/blas$t" | median)
  p=$(sed -n "s/^threads=$t sgemm.*: \([0-9.]*\) GFLOP.*/\1/p" "$tmp/peak" | median)
  awk -v t=$t -v o="$o" -v b="$b" -v c="$c" -v p="$p" 'BEGIN { printf "threads=%d rltune=%.1f GFLOP/s openblas(same threads)=%.1f GFLOP/s (cores used %.2f) ratio=%.2f; gemm_peak.py says %.1f for threads=%d\n", t, o, b, c, o / b, p, t }'
done
g=$(sed -n 's/.*gflops=\([0-9.]*\).*/\1/p' "$tmp/peak1" | median); c=$(sed -n 's/.*cores_used=\([0-9.]*\).*/\1/p' "$tmp/peak1" | median)
pool=$(sed -n 's/.*openblas_pool=\([0-9?]*\).*/\1/p' "$tmp/peak1" | tail -1)
echo "gemm_peak.py's threads=1 setting (torch.set_num_threads(1), OPENBLAS_NUM_THREADS unset): $g GFLOP/s on $c cores, OpenBLAS pool of $pool threads"
echo "done; $(uptime)"
