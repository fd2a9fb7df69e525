#!/usr/bin/python3
"""Square SGEMM through torch + OpenBLAS with ONE consistent thread setting (the caller sets
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to --threads), timed like `rltune-bench gemm`; prints
GFLOP/s and the cores the timed loop really used (CPU-seconds per wall-second)."""
import argparse, ctypes, os, time, torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1); p.add_argument("--n", type=int, default=2048)
p.add_argument("--reps", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(a.threads)
n = a.n; x = torch.randn(n, n); y = torch.randn(n, n)
for _ in range(3): x @ y
wall0, cpu0 = time.perf_counter(), time.process_time()
for _ in range(a.reps): x @ y
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
blas = next((l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l), None)
pool = ctypes.CDLL(blas).openblas_get_num_threads() if blas else "?"  # OpenBLAS's own pool, which torch does not set
print(f"openblas threads={a.threads} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')} openblas_pool={pool} "
      f"sgemm {n}^3: gflops={2 * n**3 * a.reps / wall / 1e9:.1f} cores_used={cpu / wall:.2f}")
