#!/usr/bin/python3
"""Issue 25: does the exported best configuration hold up when re-trained on fresh seeds?

On vbot-nav-lite with the demo's space and settings (scripts/demo: preset nav_lite_quick, 2-5 m ring,
400-step episodes, 64 envs, --steps env steps per training), each side gets the same budget of --trials
training runs per study seed:
  rltune-plain      `rltune automl --search-method bayesian --intensify off`, then `rltune export-best`
  rltune-intensify  the same with `--intensify on` (extra seeds count against the --trials runs), racing in
                    the last third of the runs (--intensify-share 1/3, the default)
  rltune-intensify-eager  racing from the first run (--intensify-share 1, as before the share existed)
  rltune-tpe, rltune-tpe-intensify  plain and intensified with `--search-method tpe` (RlTune's multivariate TPE)
  optuna-tpe        Optuna's TPESampler(multivariate=True) driving `rltune train-one` on the same space,
                    the same navigation1 score, one seed per trial; its best trial is its export
Then every side's exported configuration is re-trained with `rltune train-one` on --fresh-seeds seeds
that no search used (1000 + 10 x study seed + k). Prints, per study seed and side, the success it
reported (the mean over the seeds the export was measured on) beside the re-trained success (mean over
the fresh seeds), then the medians over study seeds. Every result is appended to results.jsonl in the
run root, so `--summarize ROOT` prints the table of a partial run.
Usage: bench/intensify_vs_optuna.py [--study-seeds 5] [--trials 16] [--steps 400000] [--fresh-seeds 3]
       [--parallel 2] [--sides rltune-plain,rltune-intensify,optuna-tpe,...] [--keep] | --summarize ROOT
RLTUNE=path runs another build of rltune (the script then does not build). Needs python3-optuna
(scripts/install-bench-deps) for the Optuna side; run it with /usr/bin/python3.
Smoke run: bench/intensify_vs_optuna.py --study-seeds 1 --trials 4 --steps 20000 --fresh-seeds 1
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
import automl_common

RLTUNE = os.environ.get("RLTUNE") or automl_common.RLTUNE
ENV_OVERRIDES = {"spawn_ring": [2, 5], "max_episode_steps": 400}
# each RlTune side: its automl search method and whether it intensifies (the study is named <prefix>-<study seed>)
# (intensify: None = off, else the --intensify-share it races in)
RLTUNE_SIDES = {"rltune-plain": ("bayesian", None, "plain"), "rltune-intensify": ("bayesian", 1.0 / 3, "intensify"),
                "rltune-intensify-eager": ("bayesian", 1.0, "intensify-eager"),
                "rltune-tpe": ("tpe", None, "tpe"), "rltune-tpe-intensify": ("tpe", 1.0 / 3, "tpe-intensify")}
SIDES = [*RLTUNE_SIDES, "optuna-tpe"]


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def navigation1(m):
    """The seed's navigation1 score, as RlTune's default objective computes it."""
    return (0.60 * m["success_rate"] + 0.25 * (1 - m["termination_rate"]) + 0.10 * min(m["episode_reward_mean"] / 10, 1)
            + 0.05 * (1 - min(m["episode_length_mean"] / 1000, 1)))


def train_one(config, run_dir, log):
    """Trains one config with the built-in trainer (1 network thread, 1 env thread); returns its metrics.json."""
    os.makedirs(run_dir, exist_ok=True)
    config = dict(config, run_dir=run_dir)
    path = os.path.join(run_dir, "config.json")
    with open(path, "w") as f:
        json.dump(config, f)
    with open(os.path.join(run_dir, "train.log"), "w") as out:
        code = subprocess.call([RLTUNE, "train-one", "--config", path, "--threads", "1", "--env-threads", "1"], stdout=out, stderr=subprocess.STDOUT)
    if code != 0:
        log.write(f"train-one failed ({code}) in {run_dir}\n")
        return None
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)


def rltune_side(a, root, seed, side, log):
    """One automl study and its export-best; returns (exported config, reported success, reported score, seeds, trials, configurations)."""
    method, intensify, prefix = RLTUNE_SIDES[side]
    study = f"{prefix}-{seed}"
    automl_common.run_logged([RLTUNE, "automl", "--mode", "hp-search", "--preset", "nav_lite_quick", "--search-method", method,
                              "--hp-trials", str(a.trials), "--steps", str(a.steps), "--num-envs", str(a.num_envs), "--parallel", str(a.parallel),
                              "--threads-per-trial", "1", "--env-overrides", json.dumps(ENV_OVERRIDES), "--output", root, "--study", study,
                              "--seed", str(seed), "--intensify", "off" if intensify is None else "on"]
                             + ([] if intensify is None else ["--intensify-share", f"{intensify:.6f}"]), log)
    out = os.path.join(root, f"{study}-best.json")
    automl_common.run_logged([RLTUNE, "export-best", "--output", root, "--study", study, "--out", out], log)
    with open(out) as f:
        exported = json.load(f)
    measured = exported.pop("measured")
    st = json.loads(subprocess.run([RLTUNE, "status", "--output", root, "--study", study, "--json"], check=True, capture_output=True, text=True).stdout)
    return exported, measured["metrics"].get("success_rate"), measured.get("score"), len(measured["seeds"]), a.trials, st.get("configurations", a.trials)


def optuna_space():
    """The nav_lite_quick preset as (name, section, kind, spec) rows."""
    import yaml
    with open(os.path.join(automl_common.REPO, "presets", "nav_lite_quick.yaml")) as f:
        space = yaml.safe_load(f)
    rows = [(n, "rl", s) for n, s in space["ppo_params"].items()] + [(n, "reward", s) for n, s in space["reward_weights"].items()]
    return rows, space.get("fixed", {})


def optuna_side(a, root, seed, log):
    """Optuna TPE (multivariate) over the same space and budget; returns what rltune_side does."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows, fixed = optuna_space()
    sampler = optuna.samplers.TPESampler(multivariate=True, seed=seed, n_startup_trials=max(3, min(10, a.trials // 3)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    results = {}

    def suggest(trial):
        rl, reward = {}, {}
        for name, section, s in rows:
            kind = s["type"]
            if kind == "uniform":
                v = trial.suggest_float(name, s["low"], s["high"])
            elif kind == "loguniform":
                # RlTune's loguniform over a negative range is log-uniform in the magnitude
                lo, hi = sorted((abs(s["low"]), abs(s["high"])))
                v = trial.suggest_float(name, lo, hi, log=True) * (-1 if s["low"] < 0 else 1)
            elif kind == "int":
                v = trial.suggest_int(name, s["low"], s["high"])
            else:
                v = trial.suggest_categorical(name, s["values"])
            (rl if section == "rl" else reward)[name] = v
        return rl, reward

    done = n = 0
    pending = []

    def run(trial, rl, reward, number):
        config = {"env_name": "vbot-nav-lite", "reward_scales": reward,
                  "rl_overrides": dict(fixed, **rl, max_env_steps=a.steps, seed=seed, num_envs=a.num_envs), "env_overrides": ENV_OVERRIDES}
        m = train_one(config, os.path.join(root, f"optuna-{seed}", f"trial_{number:04d}"), log)
        return trial, config, m

    with ThreadPoolExecutor(max_workers=a.parallel) as pool:
        while done < a.trials:
            while len(pending) < a.parallel and done + len(pending) < a.trials:
                trial = study.ask()
                rl, reward = suggest(trial)
                if rl["learning_rate"] > 5e-4 and rl["learning_epochs"] > 8:  # the preset's constraint: not trained, not counted
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    continue
                pending.append(pool.submit(run, trial, rl, reward, n))
                n += 1
            first = pending.pop(0)
            trial, config, m = first.result()
            done += 1
            if m is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, navigation1(m))
                results[trial.number] = (config, m)
    best = study.best_trial
    config, m = results[best.number]
    return config, m["success_rate"], navigation1(m), 1, a.trials, a.trials


def retrain(a, root, side, seed, config, log):
    """The exported config trained on fresh seeds; returns [(seed, success, score)]."""
    seeds = [1000 + 10 * seed + k for k in range(a.fresh_seeds)]

    def one(fresh):
        c = json.loads(json.dumps(config))
        for key in ("run_dir", "study", "trial", "run_tag"):
            c.pop(key, None)
        c["rl_overrides"]["seed"] = fresh
        c["rl_overrides"]["max_env_steps"] = a.steps
        m = train_one(c, os.path.join(root, "retrain", f"{side}-{seed}", f"seed_{fresh}"), log)
        return (fresh, m["success_rate"], navigation1(m)) if m else (fresh, None, None)

    with ThreadPoolExecutor(max_workers=a.parallel) as pool:
        return list(pool.map(one, seeds))


def summarize(path):
    rows = [json.loads(line) for line in open(path)]
    print(f"{'side':<18}{'seed':>5}{'reported':>10}{'re-trained':>12}{'gap':>8}{'export seeds':>14}{'configs':>9}  re-trained per fresh seed")
    for r in rows:
        fresh = [x[1] for x in r["retrained"] if x[1] is not None]
        mean = statistics.mean(fresh) if fresh else float("nan")
        print(f"{r['side']:<18}{r['seed']:>5}{r['reported']:>10.3f}{mean:>12.3f}{r['reported'] - mean:>8.3f}{r['export_seeds']:>14}{r['configurations']:>9}  "
              + " ".join(f"{x[1]:.3f}" if x[1] is not None else "fail" for x in r["retrained"]))
    print(f"\nmedians over study seeds (success rate; reported = what the export says it measured, re-trained = mean over fresh seeds):")
    medians = {}
    for side in SIDES:
        mine = [r for r in rows if r["side"] == side]
        if not mine:
            continue
        rep = statistics.median(r["reported"] for r in mine)
        ret = [statistics.mean(x[1] for x in r["retrained"] if x[1] is not None) for r in mine]
        gaps = [r["reported"] - t for r, t in zip(mine, ret)]
        medians[side] = statistics.median(ret)
        print(f"{side:<18} reported {rep:.3f}  re-trained {statistics.median(ret):.3f}  median gap {statistics.median(gaps):+.3f}  "
              f"({len(mine)} study seeds, {sum(r['seconds'] for r in mine) / 60:.0f} min of search)")
    if len(medians) > 1:
        top = max(medians, key=medians.get)
        print(f"highest median re-trained success: {top}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--study-seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--steps", type=int, default=400_000)
    ap.add_argument("--num-envs", type=int, default=64)
    ap.add_argument("--fresh-seeds", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--sides", default=",".join(SIDES))
    ap.add_argument("--root", help="run root (default: a new temporary directory); results.jsonl is appended there")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--summarize", metavar="ROOT")
    a = ap.parse_args()
    if a.summarize:
        summarize(os.path.join(a.summarize, "results.jsonl"))
        return
    if not os.environ.get("RLTUNE"):
        automl_common.build()
    root = a.root or tempfile.mkdtemp(prefix="rltune-intensify-")
    os.makedirs(root, exist_ok=True)
    results = os.path.join(root, "results.jsonl")
    print(f"run root {root}; {a.trials} trainings of {a.steps} steps per side and study seed, {a.fresh_seeds} fresh seeds, load {load_average()}", flush=True)
    started = time.time()
    with open(os.path.join(root, "bench.log"), "a") as log:
        for seed in range(a.first_seed, a.first_seed + a.study_seeds):
            for side in a.sides.split(","):
                t0 = time.time()
                if side == "optuna-tpe":
                    config, success, score, seeds, trials, configs = optuna_side(a, root, seed, log)
                else:
                    config, success, score, seeds, trials, configs = rltune_side(a, root, seed, side, log)
                seconds = time.time() - t0
                again = retrain(a, root, side, seed, config, log)
                row = {"side": side, "seed": seed, "reported": success, "reported_score": score, "export_seeds": seeds, "trials": trials,
                       "configurations": configs, "retrained": again, "seconds": seconds, "load": load_average()}
                with open(results, "a") as f:
                    f.write(json.dumps(row) + "\n")
                fresh = [x[1] for x in again if x[1] is not None]
                print(f"seed {seed} {side}: reported success {success:.3f} over {seeds} seed(s), re-trained {statistics.mean(fresh) if fresh else float('nan'):.3f} "
                      f"({' '.join(f'{x:.2f}' for x in fresh)}); {configs} configurations; search {seconds:.0f} s, load {load_average()}", flush=True)
    print(f"wall time {time.time() - started:.0f} s, load {load_average()}")
    summarize(results)
    if not a.keep and not a.root:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
