#!/usr/bin/python3
"""Bayesian search through the whole pipeline (`rltune automl --trainer-command functions.py ...`)
against Optuna's samplers on the public objectives, in the same session.

For each objective and seed: a study of --trials trials; the best value found; median over seeds
and its gap to the known optimum. Then the peer: shared/bench/optuna_anchor.py with the same
trials and seeds. Usage: bench/automl_vs_optuna.py [--trials 50] [--seeds 5] [--functions branin,hartmann6,ppo_surrogate]
Needs python3-optuna for the peer: scripts/install-bench-deps.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time
from automl_common import RLTUNE, build, shared_bench, status

ap = argparse.ArgumentParser()
ap.add_argument("--trials", type=int, default=50)
ap.add_argument("--seeds", type=int, default=5)
ap.add_argument("--functions", default="branin,hartmann6,ppo_surrogate")
ap.add_argument("--method", default="bayesian")
ap.add_argument("--parallel", type=int, default=1)
a = ap.parse_args()
build()
bench = shared_bench()
sys.path.insert(0, bench)
from functions import OPTIMA  # noqa: E402

tmp = tempfile.mkdtemp(prefix="rltune-vs-optuna-")
try:
    for fn in a.functions.split(","):
        best = []
        t0 = time.perf_counter()
        for seed in range(a.seeds):
            study = f"{fn}-{seed}"
            subprocess.run([RLTUNE, "automl", "--space", os.path.join(bench, f"{fn}.yaml"), "--env", "none", "--output", tmp, "--study", study,
                            "--trainer-command", f"/usr/bin/python3 {bench}/functions.py {fn} {{config}} {{run_dir}}",
                            "--objective", "value", "--direction", "minimize", "--steps", "1", "--hp-trials", str(a.trials),
                            "--search-method", a.method, "--seed", str(seed), "--parallel", str(a.parallel)],
                           check=True, stdout=subprocess.DEVNULL)
            best.append(status(tmp, study)["best_score"])
        med = statistics.median(best)
        print(f"rltune-automl {a.method} {fn}: median best {med:.4f} gap {med - OPTIMA[fn]:.3f} over {a.seeds} seeds x {a.trials} trials "
              f"({(time.perf_counter() - t0) / (a.seeds * a.trials) * 1000:.0f} ms per trial, trainer start-up included)", flush=True)
    subprocess.run(["/usr/bin/python3", os.path.join(bench, "optuna_anchor.py"), "--trials", str(a.trials), "--seeds", str(a.seeds),
                    "--functions", a.functions], check=True)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
