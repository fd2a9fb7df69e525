#!/usr/bin/env bash
# Trains vbot-nav-lite three times and prints what each policy learned (deterministic evaluation
# from each run's metrics.json). Only the reward weights differ between the runs; nothing in the
# env knows which case it is in:
#   default       the shipped default weights              (expect success >= 0.90, falls <= 0.02)
#   lazy-robot    alive_bonus 1.0 against arrival_bonus 10 (expect success < 0.20, episodes at the limit)
#   sprint-crash  forward_velocity x5, termination -10     (expect falls >= 0.30)
# Usage: [PARALLEL=1] bench/env-behaviours.sh [STEPS] [SEED] [OUTDIR] [PPO_OVERRIDES.json]
#   defaults: 10000000 1 runs/env-behaviours, the default PPO settings. Pass
#   bench/env-behaviours/fast-ppo.json for smaller networks (faster on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10000000}
seed=${2:-1}
out=${3:-runs/env-behaviours}
ppo=${4:-}
dotnet build src/RlTune.Cli -c Release --nologo -v q >/dev/null
rltune=src/RlTune.Cli/bin/Release/net10.0/rltune
mkdir -p "$out"

declare -A scales=(
    [default]='{}'
    [lazy-robot]='{"alive_bonus": 1.0, "arrival_bonus": 10.0}'
    [sprint-crash]='{"forward_velocity": 1.5, "termination": -10.0}'
)
: > "$out/times.txt"
train_case() { # case
    local case=$1 start=$SECONDS
    python3 - "$out/$case.json" "${scales[$case]}" "$ppo" <<'PY'
import json, sys
path, scales, ppo = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
config = {"env_name": "vbot-nav-lite", "run_tag": path.rsplit("/", 1)[-1][:-5], "reward_scales": scales}
if ppo:
    config["rl_overrides"] = json.load(open(ppo))
json.dump(config, open(path, "w"), indent=2)
PY
    "$rltune" train --env vbot-nav-lite --steps "$steps" --seed "$seed" --output "$out" --config "$out/$case.json" > "$out/$case.log" 2>&1
    echo "$case $((SECONDS - start))" >> "$out/times.txt"
    # the trainer names its run dir (inside --output) on stdout
    grep -m1 '^PIPELINE_RUN_DIR=' "$out/$case.log" | cut -d= -f2- > "$out/$case.rundir"
}
if [[ "${PARALLEL:-0}" == 1 ]]; then   # all three at once (times then are not solo times)
    for case in default lazy-robot sprint-crash; do train_case "$case" & done
    wait
else
    for case in default lazy-robot sprint-crash; do train_case "$case"; done
fi

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
times = dict(l.split() for l in open(os.path.join(out, "times.txt")).read().splitlines())
print(f"{'case':<14}{'success':>9}{'falls':>8}{'termination':>13}{'length':>8}{'reward':>9}{'reached':>9}{'speed':>7}{'train s':>9}")
for case in ["default", "lazy-robot", "sprint-crash"]:
    run_dir = open(os.path.join(out, case + ".rundir")).read().strip()
    m = json.load(open(os.path.join(run_dir, "metrics.json")))
    g = lambda k: m.get(k, float("nan"))
    print(f"{case:<14}{g('success_rate'):>9.3f}{g('fall'):>8.3f}{g('termination_rate'):>13.3f}{g('episode_length_mean'):>8.0f}"
          f"{g('episode_reward_mean'):>9.1f}{g('reached_fraction'):>9.3f}{g('mean_speed'):>7.2f}{times[case]:>9}")
    print(f"{'':<14}run dir {run_dir}")
PY
