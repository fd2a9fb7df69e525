#!/usr/bin/env bash
# Trains vbot-nav-lite on three reward tables over several seeds and prints what each policy learned
# (deterministic evaluation from each run's metrics.json, and the learning curve from its PROGRESS
# lines). Only the reward weights differ between the cases; nothing in the env knows which case it is in:
#   default       the shipped default weights                          (target: success >= 0.90, falls <= 0.02)
#   lazy-robot    alive_bonus 1.0 against arrival_bonus 10             (target: success < 0.20, episodes at the limit)
#   sprint-crash  forward_velocity x5 of its default, termination -5   (target: falls >= 0.30)
# PPO settings are the env's recommended defaults (`rltune train --help`) unless PPO_OVERRIDES.json is given.
# Usage: [SEEDS="1 2 3"] [PARALLEL=2] [CASES="default lazy-robot sprint-crash"] \
#        bench/env-behaviours.sh [STEPS] [OUTDIR] [PPO_OVERRIDES.json]
#   defaults: 10000000 env steps, runs/env-behaviours. PARALLEL trainings share the cores (their
#   train seconds are then not solo times; the load average is printed beside each run).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10000000}
out=${2:-runs/env-behaviours}
ppo=${3:-}
seeds=${SEEDS:-1 2 3}
cases=${CASES:-default lazy-robot sprint-crash}
dotnet build src/RlTune.Cli -c Release --nologo -v q >/dev/null
# a copy of the build, so that rebuilding the worktree cannot disturb the trainings
bin="$out/bin"
mkdir -p "$bin"
cp -r src/RlTune.Cli/bin/Release/net10.0/. "$bin/"
export RLTUNE="$bin/rltune"

python3 - "$out/cases.json" "$ppo" "$cases" <<'PY'
import json, subprocess, sys, os
path, ppo, cases = sys.argv[1], sys.argv[2], sys.argv[3].split()
# the sprint case multiplies the shipped default of forward_velocity (read from `rltune envs`)
envs = subprocess.check_output([os.environ["RLTUNE"], "envs"], text=True)
forward = next(float(l.split("default")[1].split()[0]) for l in envs.splitlines() if l.split()[:1] == ["forward_velocity"])
scales = {
    "default": {},
    "lazy-robot": {"alive_bonus": 1.0, "arrival_bonus": 10.0},
    "sprint-crash": {"forward_velocity": round(5 * forward, 6), "termination": -5.0},
}
rl = json.load(open(ppo)) if ppo else {}
json.dump({c: {"reward_scales": scales[c], "rl_overrides": rl} for c in cases}, open(path, "w"), indent=2)
print(f"sprint-crash: forward_velocity {5 * forward:g} (5 x {forward:g}), termination -5")
PY

python3 bench/env-tune.py "$out/cases.json" --seeds "$(echo $seeds | tr ' ' ,)" --steps "$steps" \
    --parallel "${PARALLEL:-1}" --out "$out" | tee "$out/table.txt"

python3 - "$out" "$cases" "$seeds" <<'PY'
import json, os, sys
out, cases, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def metrics(case, seed):
    p = os.path.join(out, case, f"seed_{seed}", "metrics.json")
    return json.load(open(p)) if os.path.exists(p) else {}
verdicts = {
    "default": lambda m: m.get("success_rate", 0) >= 0.90 and m.get("fall", 1) <= 0.02,
    "lazy-robot": lambda m: m.get("success_rate", 1) < 0.20 and m.get("timeout", 0) >= 0.5,
    "sprint-crash": lambda m: m.get("fall", 0) >= 0.30,
}
targets = {"default": "success >= 0.90 and falls <= 0.02", "lazy-robot": "success < 0.20 and most episodes at the limit",
           "sprint-crash": "falls >= 0.30"}
print("\nper case (every seed must meet the target):")
for case in cases:
    ms = [metrics(case, s) for s in seeds]
    ok = [verdicts[case](m) for m in ms]
    mean = lambda k: sum(m.get(k, float("nan")) for m in ms) / len(ms)
    print(f"  {case:<13} {sum(ok)}/{len(ok)} seeds meet {targets[case]:<45} mean success {mean('success_rate'):.3f}, "
          f"falls {mean('fall'):.3f}, timeouts {mean('timeout'):.3f}, length {mean('episode_length_mean'):.0f}")
PY
