#!/usr/bin/python3
"""Runs a peer script (argv[1], its arguments after it) unchanged and then reports, on stderr, how many
threads the process really had: torch's intra-op setting, OpenBLAS's own pool size (read from the loaded
libopenblas), the OS thread count and CPU-seconds per wall-second. torch.set_num_threads does not bound
OpenBLAS's pthread pool, so a "1 thread" torch run may still compute on two cores."""
import ctypes, os, runpy, sys, time

script = sys.argv[1]
sys.argv = sys.argv[1:]
wall0, cpu0 = time.perf_counter(), time.process_time()
try:
    runpy.run_path(script, run_name="__main__")
finally:
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    blas = "?"
    for line in open("/proc/self/maps"):
        if "libopenblas" in line:
            try: blas = str(ctypes.CDLL(line.split()[-1]).openblas_get_num_threads())
            except OSError: pass
            break
    torch = sys.modules.get("torch")
    intra = torch.get_num_threads() if torch else "?"
    os_threads = open("/proc/self/status").read().split("Threads:")[1].split()[0]
    print(f"peer torch_threads={intra} openblas_threads={blas} os_threads={os_threads} "
          f"cores_used={cpu / wall:.2f} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}", file=sys.stderr)
