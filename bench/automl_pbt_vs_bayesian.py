#!/usr/bin/python3
"""Issue 23's "against ourselves": PBT against plain Bayesian search at equal wall time on vbot-nav-lite.

For each study seed, on vbot-nav-lite (the space of automl_navlite_methods.py: presets/full_unified.yaml with
64-64 nets fixed and the env's and trainer's defaults as priors; spawn ring --ring, 64 envs), two studies get
the same --budget-minutes of wall time:
  bayesian  `rltune automl --mode hp-search --search-method bayesian`, each trial --interval x --generations env steps;
  pbt       `rltune automl --mode pbt --population P --generations G --steps --interval`.
Each study's best is exported (`rltune export-best`: Bayesian's configuration, PBT's schedule) and re-trained from
scratch with `rltune train-one` on --eval-seeds seeds never used in the search (100, 101, ...), the same env steps
for both. Prints per study seed each arm's mean success_rate over the fresh seeds (and the number of trials or
intervals its budget bought), then the medians over study seeds.
Smoke run: bench/automl_pbt_vs_bayesian.py --seeds 1 --budget-minutes 4 --interval 20000 --generations 2 --population 2 --eval-seeds 2
Usage: bench/automl_pbt_vs_bayesian.py [--seeds 3] [--budget-minutes 60] [--interval 2500000] [--generations 4] [--population 4]
       [--eval-seeds 5] [--parallel 2] [--ring 8,11] [--keep]
"""
import argparse, json, os, sqlite3, statistics, time
from automl_common import RLTUNE, navlite_space, run_logged, run_root

ap = argparse.ArgumentParser()
ap.add_argument("--seeds", type=int, default=3)
ap.add_argument("--budget-minutes", type=float, default=60)
ap.add_argument("--interval", type=int, default=2_500_000, help="env steps of a PBT interval; a Bayesian trial trains interval x generations")
ap.add_argument("--generations", type=int, default=4)
ap.add_argument("--population", type=int, default=4)
ap.add_argument("--eval-seeds", type=int, default=5)
ap.add_argument("--num-envs", type=int, default=64)
ap.add_argument("--parallel", type=int, default=2)
ap.add_argument("--ring", default="8,11", help="spawn ring in metres, inner,outer")
ap.add_argument("--keep", action="store_true")
a = ap.parse_args()
inner, outer = (float(x) for x in a.ring.split(","))
overrides = json.dumps({"spawn_ring": [inner, outer]})


def completed(db, study):
    con = sqlite3.connect(db)
    n = con.execute("SELECT COUNT(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? AND t.state = 'complete'", (study,)).fetchone()[0]
    con.close()
    return n


with run_root("rltune-pbt-bench-", a.keep) as (tmp, log):
    db = os.path.join(tmp, "rltune.db")
    space = navlite_space(tmp, "env", log)
    common = ["--space", space, "--num-envs", str(a.num_envs), "--env-overrides", overrides, "--output", tmp, "--parallel", str(a.parallel),
              "--threads-per-trial", "1", "--budget-hours", str(a.budget_minutes / 60)]
    lineage_steps = a.interval * a.generations
    print(f"{a.budget_minutes} min per study; pbt {a.population} members x {a.generations} intervals of {a.interval} steps; "
          f"bayesian trials of {lineage_steps} steps; best re-trained on {a.eval_seeds} fresh seeds; ring {inner}-{outer} m", flush=True)

    def retrain(study):
        best = os.path.join(tmp, f"{study}.json")
        run_logged([RLTUNE, "export-best", "--study", study, "--output", tmp, "--out", best], log)
        with open(best) as f:
            config = json.load(f)
        rates = []
        for k in range(a.eval_seeds):
            config["rl_overrides"]["seed"] = 100 + k
            config["run_dir"] = os.path.join(tmp, "retrain", f"{study}_seed_{100 + k}")
            path = os.path.join(tmp, f"{study}_seed_{100 + k}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            run_logged([RLTUNE, "train-one", "--config", path, "--threads", "1", "--env-threads", "1", "--eval-episodes", str(a.num_envs)], log)
            with open(os.path.join(config["run_dir"], "metrics.json")) as f:
                rates.append(json.load(f)["success_rate"])
        return statistics.mean(rates), config["rl_overrides"]["max_env_steps"]

    results = {"bayesian": [], "pbt": []}
    started = time.time()
    for seed in range(a.seeds):
        row = []
        for arm in ("bayesian", "pbt"):
            study = f"{arm}-{seed}"
            args = ([RLTUNE, "automl", "--mode", "hp-search", "--search-method", "bayesian", "--hp-trials", "1000", "--steps", str(lineage_steps)]
                    if arm == "bayesian" else
                    [RLTUNE, "automl", "--mode", "pbt", "--population", str(a.population), "--generations", str(a.generations), "--steps", str(a.interval)])
            t0 = time.time()
            run_logged(args + common + ["--seed", str(seed), "--study", study], log)
            wall = time.time() - t0
            success, steps = retrain(study)
            results[arm].append(success)
            row.append(f"{arm} {success:.3f} ({completed(db, study)} {'trials' if arm == 'bayesian' else 'intervals'} in {wall / 60:.1f} min, re-trained {steps} steps)")
        print(f"seed {seed}: " + "  ".join(row), flush=True)
    print("median success_rate over study seeds on fresh seeds: " + "  ".join(f"{k} {statistics.median(v):.3f}" for k, v in results.items()))
    print(f"wall time: {time.time() - started:.0f} s; load average {os.getloadavg()[0]:.1f}")
