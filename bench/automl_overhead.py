#!/usr/bin/python3
"""Orchestration overhead per trial of `rltune automl` (excluding the trainer's own run time).

The trainer is trivial (a shell writing metrics.json). The peer is the same trainer command run
directly the same number of times, in the same session; overhead per trial = the slope of automl's
wall time between a 2-trial and a (2 + N)-trial study, less the trainer's own time per run. Usage: bench/automl_overhead.py [--trials 40] [--parallel 1]
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
ap.add_argument("--dir", default=None, help="where the study lives (e.g. /dev/shm to take the disk's fsyncs out)")
a = ap.parse_args()
build()
tmp = tempfile.mkdtemp(prefix="rltune-overhead-", dir=a.dir)


def automl(trials, study):
    t0 = time.perf_counter()
    subprocess.run([RLTUNE, "automl", "--space", space, "--env", "none", "--output", os.path.join(tmp, "runs"), "--study", study,
                    "--trainer-command", TRAINER, "--objective", "value", "--direction", "minimize", "--steps", "1",
                    "--hp-trials", str(trials), "--parallel", str(a.parallel), "--search-method", a.method],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def direct(trials):
    run_dir = os.path.join(tmp, "direct")
    os.makedirs(run_dir, exist_ok=True)
    t0 = time.perf_counter()
    for _ in range(trials):
        subprocess.run(["/bin/sh", "-c", TRAINER.replace("{run_dir}", "'" + run_dir + "'")], check=True)
    return time.perf_counter() - t0


try:
    space = os.path.join(tmp, "space.yaml")
    open(space, "w").write(SPACE)
    # the slope between a short and a long study removes the one-off start-up (runtime, JIT, store creation)
    short, long_ = automl(2, "short"), automl(a.trials + 2, "long")
    trainer = direct(a.trials) / a.trials
    per_trial = (long_ - short) / a.trials
    print(f"trials={a.trials} parallel={a.parallel} method={a.method} startup_s={short - 2 * per_trial:.2f} "
          f"automl_ms_per_trial={per_trial * 1000:.1f} trainer_direct_ms_per_trial={trainer * 1000:.1f} "
          f"overhead_ms_per_trial={(per_trial - trainer / a.parallel) * 1000:.1f}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
