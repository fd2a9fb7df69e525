#!/usr/bin/python3
"""Issue 23's "against ourselves" for ASHA: Bayesian + ASHA against plain Bayesian search at equal wall time.

For each study seed, on vbot-nav-lite (the nav-lite benches' setting: spawn ring 2-5 m, 400-step episodes,
64 envs, 64-64 nets, the full_unified space with the env's and trainer's defaults as priors): two
`rltune automl --mode hp-search --search-method bayesian` studies under the same --minutes budget, one
plain, one with `--pruner asha` (rungs --steps / 9 -> / 3 -> --steps, promoted trials continuing from
their rung checkpoint). The best complete configuration of each is then re-trained for --steps on
--eval-seeds fresh seeds (100, 101, ...) through `--mode eval`, and its mean success_rate there is the
figure. Prints per study seed the trials each method ran, its env steps trained, and the re-evaluated
success; then the medians over study seeds, with the load average (the machine is shared).
Smoke run: bench/automl_asha.py --seeds 1 --minutes 3 --steps 60000 --eval-seeds 2
Usage: nice -n 10 bench/automl_asha.py [--minutes 10] [--seeds 3] [--steps 300000] [--eval-seeds 5] [--parallel 2] [--keep]
"""
import json, os, sqlite3, statistics, time
import yaml
from automl_common import RLTUNE, navlite_arguments, navlite_flags, navlite_space, run_logged, run_root


def own_flags(ap):
    ap.add_argument("--minutes", type=float, default=10.0, help="wall-time budget of each search")
    ap.add_argument("--eval-seeds", type=int, default=5)


def search_summary(db, study):
    """(best params, trials run, complete, pruned, env steps trained) of a study; steps from the train_env_steps of its runs' metrics."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT t.params_json, t.score, t.state FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ?", (study,)).fetchall()
    con.close()
    complete = [(json.loads(p), sc) for p, sc, st in rows if st == "complete" and sc is not None]
    best = max(complete, key=lambda x: x[1])[0] if complete else None
    return best, len(rows), len(complete), sum(1 for _, _, st in rows if st == "pruned")


def trained_steps(root, study):
    """Env steps the study's trainings ran: each run's train_env_steps less the steps it continued from."""
    total = 0
    for d, _, files in os.walk(os.path.join(root, study, "trials")):
        if "metrics.json" in files:
            with open(os.path.join(d, "metrics.json")) as f:
                m = json.load(f)
            total += int(m.get("train_env_steps", 0)) - int(m.get("train_resumed_from_env_steps", 0))
    return total


a = navlite_arguments(seeds=3, extra=own_flags)
with run_root("rltune-asha-", a.keep) as (tmp, log):
    db = os.path.join(tmp, "rltune.db")
    space = navlite_space(tmp, "env", log)
    common = navlite_flags(a, space, tmp)
    arms = {"bayesian": [], "bayesian+asha": []}
    print(f"space {space}; {a.minutes} min per search, {a.steps} steps per trial, {a.seeds} study seeds, {a.eval_seeds} fresh seeds to re-evaluate", flush=True)
    started = time.time()
    for seed in range(a.seeds):
        for arm in arms:
            study = f"{arm.replace('+', '-')}-{seed}"
            pruner = ["--pruner", "asha"] if arm.endswith("asha") else []
            t0 = time.time()
            run_logged([RLTUNE, "automl", "--mode", "hp-search", "--search-method", "bayesian", "--hp-trials", "1000", "--seed", str(seed),
                        "--study", study, "--budget-hours", str(a.minutes / 60)] + pruner + common, log)
            search_seconds = time.time() - t0
            best, ran, complete, pruned = search_summary(db, study)
            steps = trained_steps(tmp, study)
            success = float("nan")
            if best is not None:
                configs = os.path.join(tmp, f"{study}-best.json")
                with open(configs, "w") as f:
                    json.dump([{"params": best}], f)
                run_logged([RLTUNE, "automl", "--mode", "eval", "--seed", "100", "--seeds-per-trial", str(a.eval_seeds), "--study", study + "-eval",
                            "--seed-configs", configs, "--eval-episodes", str(a.num_envs)] + common, log)
                with open(os.path.join(tmp, study + "-eval", "eval", "summary.yaml")) as f:
                    success = yaml.safe_load(f)["metrics_mean"].get("success_rate", float("nan"))
            arms[arm].append(success)
            print(f"seed {seed} {arm}: {ran} trials ({complete} complete, {pruned} pruned), {steps} env steps in {search_seconds:.0f} s; "
                  f"best re-trained on seeds 100-{99 + a.eval_seeds}: success {success:.3f}; load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"median over {a.seeds} study seeds: " + "  ".join(f"{k} {statistics.median(v):.3f}" for k, v in arms.items()))
    print(f"wall time: {time.time() - started:.0f} s; load average now {os.getloadavg()}")
