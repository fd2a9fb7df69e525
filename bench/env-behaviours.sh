#!/usr/bin/env bash
# Trains vbot-nav-lite three times with the default PPO settings and prints what each learned:
#   default       the shipped default weights            (expect success >= 0.90, falls <= 0.02)
#   lazy-robot    alive_bonus 1.0 against arrival_bonus 10 (expect success < 0.20, episodes at the limit)
#   sprint-crash  forward_velocity x5, termination -10     (expect falls >= 0.30)
# Usage: bench/env-behaviours.sh [STEPS] [SEED] [OUTDIR]   (defaults: 10000000 1 runs/env-behaviours)
# Only the weights differ between the runs; nothing in the env knows which case it is in.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10000000}
seed=${2:-1}
out=${3:-runs/env-behaviours}
dotnet build src/RlTune.Cli -c Release --nologo -v q >/dev/null
rltune=src/RlTune.Cli/bin/Release/net10.0/rltune
mkdir -p "$out"

run() { # name [config]
    local name=$1 config=${2:-}
    local start=$SECONDS
    if [[ -n "$config" ]]; then
        "$rltune" train --env vbot-nav-lite --steps "$steps" --seed "$seed" --output "$out/$name" --config "$config" > "$out/$name.log" 2>&1
    else
        "$rltune" train --env vbot-nav-lite --steps "$steps" --seed "$seed" --output "$out/$name" > "$out/$name.log" 2>&1
    fi
    echo "$name took $((SECONDS - start)) s" >> "$out/times.txt"
    # the trainer names its run dir (inside --output) on stdout
    grep -m1 '^PIPELINE_RUN_DIR=' "$out/$name.log" | cut -d= -f2- > "$out/$name.rundir"
}

: > "$out/times.txt"
run default
run lazy-robot bench/env-behaviours/lazy-robot.json
run sprint-crash bench/env-behaviours/sprint-crash.json

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
times = dict(l.split(" took ") for l in open(os.path.join(out, "times.txt")).read().splitlines())
print(f"{'case':<14}{'success':>9}{'falls':>8}{'termination':>13}{'length':>8}{'reward':>9}{'reached':>9}{'speed':>7}{'time':>8}")
for case in ["default", "lazy-robot", "sprint-crash"]:
    run_dir = open(os.path.join(out, case + ".rundir")).read().strip()
    m = json.load(open(os.path.join(run_dir, "metrics.json")))
    g = lambda k: m.get(k, float("nan"))
    print(f"{case:<14}{g('success_rate'):>9.3f}{g('fall'):>8.3f}{g('termination_rate'):>13.3f}{g('episode_length_mean'):>8.0f}"
          f"{g('episode_reward_mean'):>9.1f}{g('reached_fraction'):>9.3f}{g('mean_speed'):>7.2f}{times[case]:>8}")
PY
