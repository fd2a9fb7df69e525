#!/usr/bin/python3
"""Issue 5's measurement on the built-in env: Bayesian vs the best of random trials vs the priors' configuration.

For each study seed, on vbot-nav-lite (spawn ring 2-5 m, 400-step episodes, 64 envs, 64-64 nets, --steps
env steps per trial): `rltune automl --mode hp-search` with --trials trials once with --search-method
bayesian and once with random, plus the priors' configuration (the space's defaults) trained with the
same steps through `--mode eval`. The space is presets/full_unified.yaml with the networks fixed small
and, with --priors env (default), its priors set to what the trainer and the env use when told nothing:
the env's default reward weights (`rltune envs`) and the trainer's PPO defaults (read from the config a
one-update probe run records in its checkpoint); ranges are widened where a default lies outside them.
Prints per seed the best success_rate (and navigation1 score) of each arm, then the medians over seeds.
With the defaults (16 trials, 3 seeds, 300k steps, 2 trials at once) it takes about 10-20 minutes here.
Smoke run: bench/automl_navlite_methods.py --trials 3 --seeds 1 --steps 20000
Usage: bench/automl_navlite_methods.py [--trials 16] [--seeds 3] [--steps 300000] [--parallel 2] [--priors env|preset] [--warmup-trials N] [--keep]
"""
import os, statistics, time
import yaml
from automl_common import RLTUNE, best_of, navlite_arguments, navlite_flags, navlite_space, run_logged, run_root


def own_flags(ap):
    ap.add_argument("--priors", choices=["env", "preset"], default="env")
    ap.add_argument("--warmup-trials", type=int, default=None, help="random trials before the Bayesian model is used (default: automl's, a third of --trials within 3..10)")


a = navlite_arguments(seeds=3, extra=own_flags)
with run_root("rltune-navlite-", a.keep) as (tmp, log):
    db = os.path.join(tmp, "rltune.db")

    def run(args):
        run_logged(args, log)

    space = navlite_space(tmp, a.priors, log)
    common = navlite_flags(a, space, tmp)
    print(f"space {space} (priors: {a.priors}); {a.trials} trials x 2 methods + the priors, {a.steps} steps per trial, {a.seeds} study seeds", flush=True)
    results = {"bayesian": [], "random": [], "priors": []}
    seconds = {k: 0.0 for k in results}
    started = time.time()
    for seed in range(a.seeds):
        for method in ("bayesian", "random"):
            t0 = time.time()
            study = f"{method}-{seed}"
            warmup = ["--warmup-trials", str(a.warmup_trials)] if method == "bayesian" and a.warmup_trials is not None else []
            run([RLTUNE, "automl", "--mode", "hp-search", "--search-method", method, "--hp-trials", str(a.trials), "--seed", str(seed), "--study", study] + common + warmup)
            seconds[method] += time.time() - t0
            results[method].append(best_of(db, study))
        t0 = time.time()
        study = f"priors-{seed}"
        run([RLTUNE, "automl", "--mode", "eval", "--seed", str(seed), "--study", study, "--eval-episodes", str(a.num_envs)] + common)
        seconds["priors"] += time.time() - t0
        with open(os.path.join(tmp, study, "eval", "summary.yaml")) as f:
            summary = yaml.safe_load(f)
        results["priors"].append((summary["metrics_mean"].get("success_rate", float("nan")), summary["score_mean"], 1))
        print(f"seed {seed}: " + "  ".join(f"{k} success {v[-1][0]:.3f} score {v[-1][1]:.3f}" for k, v in results.items()), flush=True)
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in results.items()}
    print(f"median over {a.seeds} seeds: " + "  ".join(f"{k} success {s:.3f} score {sc:.3f}" for k, (s, sc) in med.items()))
    print(f"bayesian >= priors: {med['bayesian'][0] >= med['priors'][0]}; bayesian >= best of {a.trials} random: {med['bayesian'][0] >= med['random'][0]} (success_rate)")
    print(f"wall time: {time.time() - started:.0f} s (bayesian {seconds['bayesian']:.0f} s, random {seconds['random']:.0f} s, priors {seconds['priors']:.0f} s)")
