#!/usr/bin/python3
"""Orchestration overhead per trial of `rltune automl` (excluding the trainer's own run time).

The trainer is trivial (a shell writing metrics.json). The peer is the same trainer command run
directly the same number of times, in the same session; overhead = (automl wall time - direct
wall time) / trials. Usage: bench/automl_overhead.py [--trials 40] [--parallel 1]
"""
import argparse, os, shutil, subprocess, tempfile, time
from automl_common import RLTUNE, build

SPACE = """search_space_id: overhead
ppo_params:
  x: { type: uniform, low: 0.0, high: 1.0 }
reward_weights: {}
"""
TRAINER = """echo '{"value": 1}' > {run_dir}/metrics.json"""

ap = argparse.ArgumentParser()
ap.add_argument("--trials", type=int, default=40)
ap.add_argument("--parallel", type=int, default=1)
ap.add_argument("--method", default="random")
a = ap.parse_args()
build()
tmp = tempfile.mkdtemp(prefix="rltune-overhead-")
try:
    space = os.path.join(tmp, "space.yaml")
    open(space, "w").write(SPACE)
    t0 = time.perf_counter()
    subprocess.run([RLTUNE, "automl", "--space", space, "--env", "none", "--output", os.path.join(tmp, "runs"), "--study", "o",
                    "--trainer-command", TRAINER, "--objective", "value", "--direction", "minimize", "--steps", "1",
                    "--hp-trials", str(a.trials), "--parallel", str(a.parallel), "--search-method", a.method],
                   check=True, stdout=subprocess.DEVNULL)
    automl = time.perf_counter() - t0
    run_dir = os.path.join(tmp, "direct")
    os.makedirs(run_dir)
    t0 = time.perf_counter()
    for _ in range(a.trials):
        subprocess.run(["/bin/sh", "-c", TRAINER.replace("{run_dir}", "'" + run_dir + "'")], check=True)
    direct = time.perf_counter() - t0
    print(f"trials={a.trials} parallel={a.parallel} method={a.method} automl_wall_s={automl:.2f} trainer_direct_s={direct:.2f} "
          f"overhead_ms_per_trial={(automl - direct / a.parallel) / a.trials * 1000:.1f} (includes one rltune start-up)")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
