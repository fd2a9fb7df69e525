#!/usr/bin/python3
"""Issue 5's measurement on the built-in env: Bayesian vs random vs the priors' configuration.

For each study seed: `rltune automl --mode hp-search` with --trials trials on vbot-nav-lite
(preset full_unified, short --steps per trial) once with --search-method bayesian and once with
random, plus the priors' configuration (the space's defaults, run through `--mode eval` with the
same steps). Prints per seed the best success_rate of each and the medians over seeds.
Slow: trials x 2 + 1 runs of the built-in trainer per seed (about 30 s each at 40k steps here).
Usage: bench/automl_navlite_methods.py [--trials 16] [--seeds 3] [--steps 40000] [--num-envs 64]
"""
import argparse, json, os, shutil, sqlite3, statistics, subprocess, tempfile
from automl_common import RLTUNE, build

ap = argparse.ArgumentParser()
ap.add_argument("--trials", type=int, default=16)
ap.add_argument("--seeds", type=int, default=3)
ap.add_argument("--steps", type=int, default=40000)
ap.add_argument("--num-envs", type=int, default=64)
ap.add_argument("--env-overrides", default='{"spawn_ring": [2, 5], "max_episode_steps": 400}')
a = ap.parse_args()
build()
tmp = tempfile.mkdtemp(prefix="rltune-navlite-")
common = ["--preset", "full_unified", "--steps", str(a.steps), "--num-envs", str(a.num_envs), "--env-overrides", a.env_overrides, "--output", tmp]


def best_success(study):
    con = sqlite3.connect(os.path.join(tmp, "rltune.db"))
    rows = con.execute("SELECT t.metrics_json FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? AND t.state = 'complete'", (study,)).fetchall()
    con.close()
    return max((json.loads(r[0]).get("success_rate", 0.0) for r in rows), default=float("nan"))


try:
    results = {"bayesian": [], "random": [], "priors": []}
    for seed in range(a.seeds):
        for method in ("bayesian", "random"):
            study = f"{method}-{seed}"
            subprocess.run([RLTUNE, "automl", "--mode", "hp-search", "--search-method", method, "--hp-trials", str(a.trials), "--seed", str(seed),
                            "--study", study] + common, check=True, stdout=subprocess.DEVNULL)
            results[method].append(best_success(study))
        study = f"priors-{seed}"
        subprocess.run([RLTUNE, "automl", "--mode", "eval", "--seed", str(seed), "--study", study, "--json"] + common, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, study, "eval", "summary.yaml")) as f:
            line = next((l for l in f if l.startswith("  success_rate:")), "  success_rate: nan")
        results["priors"].append(float(line.split(":")[1]))
        print(f"seed={seed} " + " ".join(f"{k}={v[-1]:.3f}" for k, v in results.items()), flush=True)
    print("median success_rate over seeds: " + " ".join(f"{k}={statistics.median(v):.3f}" for k, v in results.items()))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
