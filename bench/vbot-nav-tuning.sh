#!/usr/bin/env bash
# Issue 22's tuning study: a Bayesian automl search on vbot-nav (2-5 m ring, preset vbot_nav_joint: PPO,
# num_envs and nine reward weights; nets 128-64-32 and staggered first episodes fixed), short trials on one
# seed with intensification (the incumbent gets 3 seeds); then the study's best and MotrixLab's defaults (the
# preset's priors) re-trained at the same step budget on fresh seeds the search never used, and
# `rltune compare` of the two evaluations (and the study's best trial) with p-values over seeds.
# Prints the load average before and after each step: the machine is shared, say so beside every figure.
# Usage: bench/vbot-nav-tuning.sh   (env: STEPS=1500000 TRIALS=6 WARMUP=2 BUDGET_HOURS=1.0 FRESH_SEED=101
#        FRESH_SEEDS=3 THREADS=1 NICE=10 OUT=runs/vbot-nav-tuning; STAGE=eval skips the search)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-1500000}; TRIALS=${TRIALS:-6}; WARMUP=${WARMUP:-2}; BUDGET_HOURS=${BUDGET_HOURS:-1.0}
FRESH_SEED=${FRESH_SEED:-101}; FRESH_SEEDS=${FRESH_SEEDS:-3}; THREADS=${THREADS:-1}; NICE=${NICE:-10}
OUT=${OUT:-runs/vbot-nav-tuning}; STAGE=${STAGE:-all}
dotnet build src/RlTune.Cli -c Release -v q --nologo >/dev/null
rltune=src/RlTune.Cli/bin/Release/net10.0/rltune
load() { cut -d' ' -f1-3 /proc/loadavg; }
common=(--env vbot-nav --preset vbot_nav_joint --steps "$STEPS" --threads-per-trial "$THREADS" --output "$OUT")
echo "vbot-nav tuning: $STEPS env steps per run, $(nproc) cores, nice $NICE, commit $(git rev-parse --short HEAD), load $(load)"
if [ "$STAGE" = all ]; then
  nice -n "$NICE" "$rltune" automl --mode hp-search "${common[@]}" --search-method bayesian --hp-trials "$TRIALS" \
    --warmup-trials "$WARMUP" --seeds-per-trial 1 --seed 1 --budget-hours "$BUDGET_HOURS" --study nav-tune
  echo "== search done, load $(load)"
fi
"$rltune" export-best --study nav-tune --output "$OUT" --out "$OUT/best.json"
# the same fresh seeds for both: MotrixLab's defaults are the preset's priors (eval with no configuration given)
nice -n "$NICE" "$rltune" automl --mode eval "${common[@]}" --seeds-per-trial "$FRESH_SEEDS" --seed "$FRESH_SEED" \
  --eval-episodes 256 --study nav-tune-defaults
echo "== defaults re-trained, load $(load)"
nice -n "$NICE" "$rltune" automl --mode eval "${common[@]}" --seeds-per-trial "$FRESH_SEEDS" --seed "$FRESH_SEED" \
  --eval-episodes 256 --seed-configs "$OUT/best.json" --study nav-tune-best
echo "== best re-trained, load $(load)"
"$rltune" compare --output "$OUT" nav-tune-defaults nav-tune-best nav-tune
