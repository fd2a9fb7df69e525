#!/usr/bin/python3
"""Issue 23's "Show it": at equal wall time on vbot-nav-lite, the best configuration found by
  bayesian   `rltune automl --mode hp-search --search-method bayesian`, each trial --steps env steps;
  asha       the same with `--pruner asha` (rungs --steps/9 -> /3 -> --steps, promoted trials continuing their checkpoint);
  pbt        `rltune automl --mode pbt --population P --generations G`, intervals of --steps/G (a lineage trains --steps);
  optuna     the peer: Optuna's TPE sampler with its HyperbandPruner (min resource --steps/9, reduction factor 3)
             driving `rltune train-one` directly, intermediate values the `success` of the trainer's PROGRESS lines,
             the final value the navigation1 score of its metrics.json (the objective the other arms rank by);
             a trial still running at the deadline is killed, as automl's hard stop does.
Every arm gets --minutes of wall time and the same space (presets/full_unified.yaml with 64-64 nets fixed and the
env's and trainer's defaults as priors; Optuna gets the priors as its first trial), --num-envs envs, the
--env-overrides (default the 8-11 m spawn ring) and --parallel trials at once, one thread each. Each arm's best is then re-trained from scratch for --steps on
--eval-seeds seeds never used in the search (100, 101, ...): a configuration through `rltune automl --mode eval`,
PBT's schedule replayed by `rltune train-one`. The figure is its mean success_rate there (and falls). Printed per
study seed: trials, env steps trained, wall time and the re-trained success of each arm; then medians over study
seeds, with the load average (the machine is shared: equal wall time is equal CPU only on a quiet machine).
Needs python3-optuna for the peer (scripts/install-bench-deps).
Smoke run: bench/automl_show_it.py --seeds 1 --minutes 2 --steps 60000 --eval-seeds 2 --population 2
The issue's figure: nice -n 10 bench/automl_show_it.py --seeds 3 --minutes 60 --steps 3000000 --eval-seeds 5
Usage: bench/automl_show_it.py [--arms bayesian,asha,pbt,optuna] [--seeds 3] [--minutes 60] [--steps 3000000]
       [--first-seed 0] [--generations 3] [--population 4] [--eval-seeds 5] [--num-envs 64] [--parallel 2] [--env-overrides JSON] [--keep]
"""
import argparse, json, math, os, signal, statistics, subprocess, threading, time
import yaml
from automl_common import RLTUNE, navlite_space, run_logged, run_root, status

ARMS = ("bayesian", "asha", "pbt", "optuna")
ap = argparse.ArgumentParser()
ap.add_argument("--arms", default=",".join(ARMS))
ap.add_argument("--seeds", type=int, default=3)
ap.add_argument("--first-seed", type=int, default=0, help="the first study seed (the study seeds are first-seed .. first-seed + seeds - 1)")
ap.add_argument("--minutes", type=float, default=60.0, help="wall-time budget of each arm's search")
ap.add_argument("--steps", type=int, default=3_000_000, help="env steps of a full trial (a PBT lineage, ASHA's last rung)")
ap.add_argument("--generations", type=int, default=3)
ap.add_argument("--population", type=int, default=4)
ap.add_argument("--eval-seeds", type=int, default=5)
ap.add_argument("--num-envs", type=int, default=64)
ap.add_argument("--parallel", type=int, default=2)
ap.add_argument("--env-overrides", default='{"spawn_ring": [8, 11]}', help="vbot-nav-lite's overrides as JSON (default: the 8-11 m ring)")
ap.add_argument("--keep", action="store_true", help="keep the run root (its path is printed)")
a = ap.parse_args()
arms = a.arms.split(",")
if unknown := [x for x in arms if x not in ARMS]:
    raise SystemExit(f"--arms: unknown {', '.join(unknown)}; expected some of {', '.join(ARMS)}")
if "optuna" in arms:
    try:
        import optuna
    except ImportError:
        raise SystemExit("the optuna arm needs python3-optuna: run scripts/install-bench-deps (or leave it out of --arms)")
env_overrides = json.loads(a.env_overrides)


def navigation1(m):
    """The navigation1 score of a metrics.json, as rltune's default objective computes it (docs/automl.md)."""
    return (0.60 * m["success_rate"] + 0.25 * (1 - m["termination_rate"]) + 0.10 * min(m["episode_reward_mean"] / 10, 1)
            + 0.05 * (1 - min(m["episode_length_mean"] / 1000, 1)))


def trained_steps(root, study):
    """Env steps a study's trainings ran: each run's train_env_steps less the steps it continued from."""
    total = 0
    for d, _, files in os.walk(os.path.join(root, study, "trials")):
        if "metrics.json" in files:
            with open(os.path.join(d, "metrics.json")) as f:
                m = json.load(f)
            total += int(m.get("train_env_steps", 0)) - int(m.get("train_resumed_from_env_steps", 0))
    return total


def parallel_runs(commands, log):
    """Runs the commands, --parallel at a time, each logged; exits naming the log when one fails."""
    pending, running = list(commands), []
    while pending or running:
        while pending and len(running) < a.parallel:
            args = pending.pop(0)
            log.write("$ " + " ".join(args) + "\n")
            log.flush()
            running.append((args, subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)))
        time.sleep(0.5)
        for args, p in [r for r in running if r[1].poll() is not None]:
            running.remove((args, p))
            if p.returncode != 0:
                raise SystemExit(f"failed ({p.returncode}): {' '.join(args)}\nsee {log.name}")


class OptunaPeer:
    """Optuna's TPE + HyperbandPruner over the same space, each trial one `rltune train-one` run."""

    def __init__(self, space_file, root, study, seed, log):
        with open(space_file) as f:
            self.space = yaml.safe_load(f)
        self.root, self.study, self.seed, self.log = root, study, seed, log
        self.steps_trained = 0
        self.lock = threading.Lock()

    def suggest(self, trial):
        params = {}
        for section in ("ppo_params", "reward_weights"):
            for name, spec in self.space.get(section, {}).items():
                kind = spec["type"]
                if kind in ("choice", "categorical"):
                    values = spec.get("values", spec.get("choices"))
                    params[name] = values[trial.suggest_categorical(name, list(range(len(values))))] if any(isinstance(v, list) for v in values) \
                        else trial.suggest_categorical(name, values)
                elif kind in ("int", "integer", "intuniform"):
                    params[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log", False)))
                elif kind in ("loguniform", "log_uniform") and spec["high"] < 0:
                    # a penalty on a log scale: its magnitude is log-uniform, as rltune's space reads a negative loguniform range
                    params[name] = -trial.suggest_float(name + "_magnitude", -spec["high"], -spec["low"], log=True)
                else:
                    params[name] = trial.suggest_float(name, spec["low"], spec["high"], log=kind in ("loguniform", "log_uniform"))
        return params

    def feasible(self, params):
        return not any(eval(c, {}, dict(params)) for c in self.space.get("constraints", []))

    def config(self, params, seed, run_dir, steps):
        rl = dict(self.space.get("fixed", {}))
        reward = {}
        for name, value in params.items():
            (reward if name in self.space.get("reward_weights", {}) else rl)[name] = value
        rl.update({"max_env_steps": steps, "seed": seed, "num_envs": a.num_envs})
        return {"run_tag": os.path.basename(run_dir), "env_name": "vbot-nav-lite", "reward_scales": reward, "rl_overrides": rl,
                "env_overrides": env_overrides, "run_dir": run_dir, "params": params}

    def objective(self, trial):
        params = self.suggest(trial)
        trial.set_user_attr("params", params)
        if not self.feasible(params):
            raise optuna.TrialPruned("infeasible (the space's constraints)")
        run_dir = os.path.join(self.root, self.study, f"trial_{trial.number:04d}")
        os.makedirs(run_dir, exist_ok=True)
        path = os.path.join(run_dir, "config.json")
        with open(path, "w") as f:
            json.dump(self.config(params, self.seed, run_dir, a.steps), f)
        p = subprocess.Popen([RLTUNE, "train-one", "--config", path, "--threads", "1", "--env-threads", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        killer = threading.Timer(max(0.0, self.deadline - time.time()), lambda: os.killpg(p.pid, signal.SIGKILL))
        killer.start()
        last_step, pruned = 0, None
        try:
            for line in p.stdout:
                if not line.startswith("PROGRESS "):
                    continue
                fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
                last_step = int(fields["step"])
                success = float(fields.get("success", "nan"))
                if math.isfinite(success):
                    trial.report(success, last_step)
                    if trial.should_prune():
                        pruned = f"pruned at {last_step} steps"
                        os.killpg(p.pid, signal.SIGKILL)
                        break
            p.wait()
        finally:
            killer.cancel()
            with self.lock:
                self.steps_trained += last_step
        if pruned:
            raise optuna.TrialPruned(pruned)
        if time.time() >= self.deadline:
            raise optuna.TrialPruned("stopped at the budget's hard limit")
        if p.returncode != 0:
            raise RuntimeError(f"train-one exited {p.returncode}: {run_dir}")
        with open(os.path.join(run_dir, "metrics.json")) as f:
            return navigation1(json.load(f))

    def run(self):
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=self.seed),
                                    pruner=optuna.pruners.HyperbandPruner(min_resource=a.steps // 9, max_resource=a.steps, reduction_factor=3))
        # the priors' configuration first, as the Bayesian arms start from it
        fixed = {}
        for section in ("ppo_params", "reward_weights"):
            for name, spec in self.space.get(section, {}).items():
                if "prior" not in spec:
                    continue
                values = spec.get("values", spec.get("choices"))
                if values is not None and any(isinstance(v, list) for v in values):
                    fixed[name] = values.index(spec["prior"])
                elif spec["type"] in ("loguniform", "log_uniform") and spec["high"] < 0:
                    fixed[name + "_magnitude"] = -spec["prior"]
                else:
                    fixed[name] = spec["prior"]
        study.enqueue_trial(fixed)
        self.deadline = time.time() + a.minutes * 60
        study.optimize(self.objective, n_jobs=a.parallel, timeout=a.minutes * 60, catch=(RuntimeError,))
        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        pruned = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)
        best = max(complete, key=lambda t: t.value).user_attrs["params"] if complete else None
        return best, len(study.trials), len(complete), pruned


with run_root("rltune-show-it-", a.keep) as (tmp, log):
    space = navlite_space(tmp, "env", log)
    common = ["--space", space, "--num-envs", str(a.num_envs), "--env-overrides", json.dumps(env_overrides), "--output", tmp,
              "--parallel", str(a.parallel), "--threads-per-trial", "1"]
    interval = a.steps // a.generations
    print(f"{a.minutes} min per search; trials of {a.steps} env steps (asha rungs {a.steps // 9} -> {a.steps // 3} -> {a.steps}; "
          f"pbt {a.population} members x {a.generations} intervals of {interval}); env {json.dumps(env_overrides)}, {a.num_envs} envs, "
          f"{a.parallel} at once; bests re-trained on seeds 100-{99 + a.eval_seeds}; load {os.getloadavg()[0]:.1f}", flush=True)

    def evaluate_params(study, params):
        configs = os.path.join(tmp, f"{study}-best.json")
        with open(configs, "w") as f:
            json.dump([{"params": params}], f)
        run_logged([RLTUNE, "automl", "--mode", "eval", "--seed", "100", "--seeds-per-trial", str(a.eval_seeds), "--study", study + "-eval",
                    "--seed-configs", configs, "--eval-episodes", str(a.num_envs), "--steps", str(a.steps)] + common, log)
        with open(os.path.join(tmp, study + "-eval", "eval", "summary.yaml")) as f:
            m = yaml.safe_load(f)["metrics_mean"]
        return m.get("success_rate", float("nan")), m.get("fall", float("nan"))

    def evaluate_schedule(study):
        best = os.path.join(tmp, f"{study}-best.json")
        run_logged([RLTUNE, "export-best", "--study", study, "--output", tmp, "--out", best], log)
        with open(best) as f:
            config = json.load(f)
        commands, dirs = [], []
        for k in range(a.eval_seeds):
            config["rl_overrides"]["seed"] = 100 + k
            config["run_dir"] = os.path.join(tmp, "retrain", f"{study}_seed_{100 + k}")
            path = os.path.join(tmp, f"{study}_seed_{100 + k}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            commands.append([RLTUNE, "train-one", "--config", path, "--threads", "1", "--env-threads", "1", "--eval-episodes", str(a.num_envs)])
            dirs.append(config["run_dir"])
        parallel_runs(commands, log)
        metrics = []
        for d in dirs:
            with open(os.path.join(d, "metrics.json")) as f:
                metrics.append(json.load(f))
        return statistics.mean(m["success_rate"] for m in metrics), statistics.mean(m.get("fall", float("nan")) for m in metrics)

    results = {arm: [] for arm in arms}
    started = time.time()
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        for arm in arms:
            study = f"{arm}-{seed}"
            load0 = os.getloadavg()[0]
            t0 = time.time()
            if arm == "optuna":
                peer = OptunaPeer(space, tmp, study, seed, log)
                best, ran, complete, pruned = peer.run()
                steps = peer.steps_trained
            else:
                budget = ["--budget-hours", str(a.minutes / 60), "--seed", str(seed), "--study", study]
                if arm == "pbt":
                    args = ["--mode", "pbt", "--population", str(a.population), "--generations", str(a.generations), "--steps", str(interval)]
                else:
                    args = ["--mode", "hp-search", "--search-method", "bayesian", "--hp-trials", "1000", "--steps", str(a.steps)] + (["--pruner", "asha"] if arm == "asha" else [])
                run_logged([RLTUNE, "automl"] + args + budget + common, log)
                s = status(tmp, study)
                best = {k: json.loads(v) for k, v in s["best_params"].items()} if s.get("best_params") else None
                ran, complete, pruned = s["complete"] + s["failed"] + s["pruned"] + s["waiting"], s["complete"], s["pruned"]
                steps = trained_steps(tmp, study)
            wall = time.time() - t0
            if best is None:
                success, falls = float("nan"), float("nan")
            elif arm == "pbt":
                success, falls = evaluate_schedule(study)
            else:
                success, falls = evaluate_params(study, best)
            results[arm].append(success)
            print(f"seed {seed} {arm}: {ran} trials ({complete} complete, {pruned} pruned), {steps} env steps in {wall / 60:.1f} min "
                  f"(load {load0:.1f} -> {os.getloadavg()[0]:.1f}); best re-trained on {a.eval_seeds} fresh seeds: success {success:.3f}, falls {falls:.3f}", flush=True)
    print(f"median success_rate over {a.seeds} study seed(s), re-trained on fresh seeds: "
          + "  ".join(f"{k} {statistics.median(v):.3f}" for k, v in results.items()))
    print(f"wall time: {time.time() - started:.0f} s; load average now {os.getloadavg()}")
