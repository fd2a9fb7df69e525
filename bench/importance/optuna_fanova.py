#!/usr/bin/python3
"""Peer for `rltune-bench importance`: samples a study at random, scores it, and runs Optuna's
fANOVA importance evaluator (64 trees, depth 64) on it.

usage: optuna_fanova.py CASE N SEED OUT_JSON   (needs python3-optuna and python3-sklearn: scripts/install-bench-deps)
  CASE: linear (10*x1 + x2 + 0*x3 on [0,1]^3), interaction (x1 + 3*x1*x2 + 0*x3 on [-1,1]^3),
        ppo_surrogate (the shared bench objective over its space, ../shared/bench beside the repository)
Writes {"trials": [{"params": {...}, "value": v}], "optuna": {"importances": {...}, "seconds": t}}.
"""
import json, os, sys, time, random
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench"))
import optuna
from optuna.distributions import FloatDistribution, CategoricalDistribution

optuna.logging.set_verbosity(optuna.logging.WARNING)


def space(case):
    if case == "linear":
        return {f"x{i}": FloatDistribution(0.0, 1.0) for i in (1, 2, 3)}
    if case == "interaction":
        return {f"x{i}": FloatDistribution(-1.0, 1.0) for i in (1, 2, 3)}
    return {
        "learning_rate": FloatDistribution(1e-5, 1e-3, log=True),
        "entropy_loss_scale": FloatDistribution(1e-4, 1e-2, log=True),
        "learning_epochs": CategoricalDistribution([4, 5, 6, 8]),
        "mini_batches": CategoricalDistribution([16, 32, 64]),
        "rollouts": CategoricalDistribution([16, 24, 32, 48]),
        "policy_hidden_layer_sizes": CategoricalDistribution(["[128, 64]", "[256, 128, 64]", "[512, 256, 128]", "[256, 256, 256]"]),
        "position_tracking": FloatDistribution(0.5, 5.0),
        "heading_tracking": FloatDistribution(0.1, 2.0),
        "approach_scale": FloatDistribution(2.0, 10.0),
        "arrival_bonus": FloatDistribution(5.0, 25.0),
        "orientation": FloatDistribution(-0.3, -0.01),
        "lin_vel_z": FloatDistribution(-2.0, -0.1),
        "action_rate": FloatDistribution(-0.05, -0.001),
        "termination": CategoricalDistribution([-500, -300, -200, -100, -50]),
    }


def value(case, p):
    if case == "linear":
        return 10 * p["x1"] + p["x2"] + 0 * p["x3"]
    if case == "interaction":
        return p["x1"] + 3 * p["x1"] * p["x2"]
    import functions
    return functions.ppo_surrogate(p)


def main():
    case, n, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    dists = space(case)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    trials = []
    for _ in range(n):
        t = study.ask(dists)
        v = value(case, t.params)
        study.tell(t, v)
        trials.append({"params": t.params, "value": v})
    start = time.perf_counter()
    imp = optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed))
    seconds = time.perf_counter() - start
    with open(out, "w") as f:
        json.dump({"trials": trials, "optuna": {"importances": imp, "seconds": seconds}}, f)


if __name__ == "__main__":
    main()
