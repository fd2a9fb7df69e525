#!/usr/bin/python3
"""What the median pruner saves on the built-in env, and what it costs.

For each study seed: a random search of --trials trials on vbot-nav-lite (the space and env settings of
automl_navlite_methods.py) once with --pruner none and once with --pruner median. The random sampler
draws each trial from the study seed and the trial number alone, so both studies train the same
configurations in the same order: the difference is only what the pruner stopped. Prints per seed the
wall time of each, the trials pruned, the best success_rate and score of each, and whether the pruned
study kept the unpruned study's best trial.
Usage: bench/automl_pruning.py [--trials 16] [--seeds 2] [--steps 300000] [--metric success] [--warmup-trials 4] [--warmup-steps 150000]
"""
import os, sqlite3, time
from automl_common import RLTUNE, best_of, navlite_arguments, navlite_flags, navlite_space, run_logged, run_root


def own_flags(ap):
    ap.add_argument("--metric", default="success", help="the PROGRESS value the pruner watches (reward is not comparable across reward weights)")
    ap.add_argument("--warmup-trials", type=int, default=4)
    ap.add_argument("--warmup-steps", type=int, default=150_000)


a = navlite_arguments(seeds=2, extra=own_flags)


def best_trial(db, study):
    con = sqlite3.connect(db)
    row = con.execute("SELECT t.number FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? AND t.state = 'complete' "
                      "ORDER BY t.score DESC LIMIT 1", (study,)).fetchone()
    pruned = con.execute("SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? AND t.state = 'pruned'", (study,)).fetchone()[0]
    con.close()
    return (row[0] if row else None), pruned


with run_root("rltune-pruning-", a.keep) as (tmp, log):
    db = os.path.join(tmp, "rltune.db")
    space = navlite_space(tmp, "env", log)
    common = navlite_flags(a, space, tmp) + ["--search-method", "random", "--hp-trials", str(a.trials)]
    print(f"{a.trials} random trials x {a.steps} steps per study seed; median pruner on '{a.metric}' after {a.warmup_trials} trials and {a.warmup_steps} steps", flush=True)
    for seed in range(a.seeds):
        row = {}
        for pruner in ("none", "median"):
            study = f"{pruner}-{seed}"
            extra = ["--pruner", pruner] + (["--pruning-metric", a.metric, "--pruner-warmup-trials", str(a.warmup_trials),
                                             "--pruner-warmup-steps", str(a.warmup_steps)] if pruner == "median" else [])
            t0 = time.time()
            run_logged([RLTUNE, "automl", "--mode", "hp-search", "--seed", str(seed), "--study", study] + common + extra, log)
            row[pruner] = (time.time() - t0, *best_of(db, study), *best_trial(db, study))
        (t_none, s_none, sc_none, _, b_none, _), (t_med, s_med, sc_med, _, b_med, pruned) = row["none"], row["median"]
        print(f"seed {seed}: no pruner {t_none:.0f} s, best success {s_none:.3f} score {sc_none:.3f} (trial {b_none}) | "
              f"median {t_med:.0f} s ({t_med / t_none:.2f}x), {pruned} pruned, best success {s_med:.3f} score {sc_med:.3f} (trial {b_med}); "
              f"best kept: {b_none == b_med}", flush=True)
