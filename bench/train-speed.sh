#!/usr/bin/env bash
# Wall and CPU time of `rltune train` on vbot-nav-lite for two commits of this repository, interleaved
# ROUNDS times: the before/after of a speed change. The PPO settings that set the amount of work are
# pinned in the config (the env's recommended ones: policy [128,64], value [256,128], 1024 envs,
# 24 rollouts, 4 epochs, 8 mini-batches), so a commit that changes env defaults does not change the work.
# Each commit is exported with `git archive` and built in a temporary directory. Prints each run's
# steps/s (wall), CPU seconds and rltune's own time split, with uptime, then the median ratio.
# Usage: bench/train-speed.sh BEFORE_REV [AFTER_REV=HEAD]   (env: STEPS=2000000 ROUNDS=2 SEED=1)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?usage: bench/train-speed.sh BEFORE_REV [AFTER_REV]}
AFTER=${2:-HEAD}
STEPS=${STEPS:-2000000}; ROUNDS=${ROUNDS:-2}; SEED=${SEED:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for side in before after; do
  rev=$BEFORE; [ $side = after ] && rev=$AFTER
  mkdir -p "$tmp/$side"; git archive "$rev" | tar -x -C "$tmp/$side"
  dotnet build "$tmp/$side/src/RlTune.Cli" -c Release -v q --nologo >/dev/null
  echo "$side = $(git rev-parse --short "$rev")"
done
cat >"$tmp/config.json" <<JSON
{"run_tag":"train-speed","env_name":"vbot-nav-lite","reward_scales":{},
 "rl_overrides":{"policy_hidden_layer_sizes":[128,64],"value_hidden_layer_sizes":[256,128],"num_envs":1024,"rollouts":24,
  "learning_epochs":4,"mini_batches":8,"max_env_steps":$STEPS,"seed":$SEED}}
JSON
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for _ in $(seq "$ROUNDS"); do
  for side in before after; do
    out=$( { TIMEFORMAT='%U %S'; time "$tmp/$side/src/RlTune.Cli/bin/Release/net10.0/rltune" train --config "$tmp/config.json" \
      --output "$tmp/runs-$side" --eval-episodes 16 >"$tmp/log" 2>&1; } 2>&1 )
    cpu=$(echo "$out" | awk '{print $1 + $2}')
    line=$(grep '^trained' "$tmp/log" | sed 's/; metrics in.*//')
    steps=$(echo "$line" | sed -n 's/^trained \([0-9]*\) env steps.*/\1/p')
    wall=$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s (.*/\1/p')
    echo "$side: $line; cpu ${cpu}s; load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$steps $wall $cpu" >>"$tmp/$side.tsv"
  done
done
for side in before after; do
  r=$(awk '{print $1 / $2}' "$tmp/$side.tsv" | median); c=$(awk '{print $1 / $3}' "$tmp/$side.tsv" | median)
  echo "$side median: $(printf '%.0f' "$r") steps/s wall, $(printf '%.0f' "$c") steps per CPU-second"
  echo "$r $c" >"$tmp/$side.med"
done
read -r rb cb <"$tmp/before.med"; read -r ra ca <"$tmp/after.med"
awk -v rb="$rb" -v ra="$ra" -v cb="$cb" -v ca="$ca" 'BEGIN { printf "after/before: %.2fx wall steps/s, %.2fx steps per CPU-second\n", ra / rb, ca / cb }'
