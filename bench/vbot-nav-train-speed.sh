#!/usr/bin/env bash
# End-to-end `rltune train --env vbot-nav` throughput at two PPO settings: MotrixLab's (the env's
# recommended: 2048 envs x 32 rollouts, policy 256-128-64, value 512-256-128, 5 epochs x 16 mini-batches)
# and small nets (the same but 128-64-32 both). Each run prints wall steps/s, rltune's time split
# (env.Step, policy inference, PPO update), the rest (start-up: env creation, checkpoints, the 16-episode
# evaluation), CPU seconds, and the load average before and after: the machine is shared, say so.
# Usage: bench/vbot-nav-train-speed.sh   (env: STEPS=262144 THREADS=2 SEED=1 NICE=10)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-262144}; THREADS=${THREADS:-2}; SEED=${SEED:-1}; NICE=${NICE:-10}
dotnet build src/RlTune.Cli -c Release -v q --nologo >/dev/null
rltune=src/RlTune.Cli/bin/Release/net10.0/rltune
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() { # name, rl_overrides
  cat >"$tmp/$1.json" <<JSON
{"run_tag":"$1","env_name":"vbot-nav","reward_scales":{},"rl_overrides":{"max_env_steps":$STEPS,"seed":$SEED$2}}
JSON
  local before; before=$(cut -d' ' -f1-3 /proc/loadavg)
  out=$( { TIMEFORMAT='%U %S'; time nice -n "$NICE" "$rltune" train --config "$tmp/$1.json" --output "$tmp/$1" \
    --threads "$THREADS" --env-threads "$THREADS" --eval-episodes 16 >"$tmp/$1.log" 2>&1; } 2>&1 )
  local line; line=$(grep '^trained' "$tmp/$1.log" | sed 's/; metrics in.*//')
  echo "$1: $line; cpu $(echo "$out" | awk '{print $1 + $2}') s; load before $before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  local wall env inf upd
  wall=$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s (.*/\1/p')
  read -r env inf upd < <(echo "$line" | sed -n 's/.*env \([0-9.]*\) s, inference \([0-9.]*\) s, update \([0-9.]*\) s.*/\1 \2 \3/p')
  awk -v n="$1" -v w="$wall" -v e="$env" -v i="$inf" -v u="$upd" -v s="$STEPS" 'BEGIN {
    printf "%s: rest (start-up, checkpoints, evaluation) %.1f s; steps/s over env+inference+update: %.0f\n", n, w - e - i - u, s / (e + i + u) }'
}
echo "vbot-nav end to end, $STEPS env steps per run, --threads $THREADS, nice $NICE, $(nproc) cores"
run motrixlab ""
run small-nets ',"policy_hidden_layer_sizes":[128,64,32],"value_hidden_layer_sizes":[128,64,32]'
