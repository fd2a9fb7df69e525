#!/usr/bin/env bash
# vbot-nav from scratch on the 2-5 m ring over several seeds: each seed's learning curve (env steps,
# wall s, success, falls, reached, speed, distance, policy std per update, from its TensorBoard
# scalars) and its final deterministic evaluation (256 episodes), with the load average before and
# after each run: the machine is shared, say so beside every figure.
# SETTING=recommended: the env's recommended PPO (MotrixLab's rl_cfgs.py) and default weights.
# SETTING=anchor: what MotrixLab's 46-52 % at about 10M ran (REPORT_NAV1.md R11-R16): the "T1-best"
#   weights and PPO (lr 4.34e-4 linear, entropy 0.006, 6 epochs x 32 mini-batches, 24 rollouts).
# Both with nets 128-64-32 (legged_gym's flat-ground size; MotrixLab's cost more than the physics
# per step here) and init_at_random_ep_len, so per-update rates are rates from the first episodes.
# Usage: bench/vbot-nav-learning.sh   (env: SETTING=anchor SEEDS="1 2 3" STEPS=10000000 THREADS=2
#        NICE=10 EVERY=8 OUT=runs/vbot-nav-learning; more rl_overrides: EXTRA_RL=',"entropy_loss_scale":0.003';
#        more weights: EXTRA_SCALES='"termination":-50')
set -euo pipefail
cd "$(dirname "$0")/.."
SETTING=${SETTING:-anchor}; SEEDS=${SEEDS:-"1 2 3"}; STEPS=${STEPS:-10000000}; THREADS=${THREADS:-2}
NICE=${NICE:-10}; EVERY=${EVERY:-8}; OUT=${OUT:-runs/vbot-nav-learning}
EXTRA_RL=${EXTRA_RL:-}; EXTRA_SCALES=${EXTRA_SCALES:-}
case "$SETTING" in
  recommended) scales=""; rl="" ;;
  anchor)
    scales='"heading_tracking":0.30,"near_target_speed":-0.71,"approach_scale":40.46,"arrival_bonus":130.19,"termination":-75,"stop_scale":5.97,"zero_ang_bonus":9.27,"forward_velocity":1.77,"fine_position_tracking":12.0'
    rl=',"learning_rate":4.34e-4,"entropy_loss_scale":0.006,"learning_epochs":6,"rollouts":24,"mini_batches":32' ;;
  *) echo "SETTING: expected recommended or anchor, got '$SETTING'" >&2; exit 1 ;;
esac
[ -n "$EXTRA_SCALES" ] && scales="${scales:+$scales,}$EXTRA_SCALES"
dotnet build src/RlTune.Cli -c Release -v q --nologo >/dev/null
dotnet build bench/RlTune.Bench -c Release -v q --nologo >/dev/null
rltune=src/RlTune.Cli/bin/Release/net10.0/rltune
bench=bench/RlTune.Bench/bin/Release/net10.0/rltune-bench
mkdir -p "$OUT"
echo "vbot-nav learning, setting $SETTING, $STEPS env steps per seed, --threads $THREADS, nice $NICE, $(nproc) cores, commit $(git rev-parse --short HEAD)"
for seed in $SEEDS; do
  name="$SETTING-s$seed"
  cat >"$OUT/$name.json" <<JSON
{"run_tag":"$name","env_name":"vbot-nav","reward_scales":{$scales},
 "rl_overrides":{"max_env_steps":$STEPS,"seed":$seed,"init_at_random_ep_len":true,
   "policy_hidden_layer_sizes":[128,64,32],"value_hidden_layer_sizes":[128,64,32]$rl$EXTRA_RL}}
JSON
  rm -rf "${OUT:?}/$name"
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  nice -n "$NICE" "$rltune" train --config "$OUT/$name.json" --output "$OUT/$name" --threads "$THREADS" \
    --eval-episodes 256 >"$OUT/$name.log" 2>&1
  echo "== $name: load before $before, after $(cut -d' ' -f1-3 /proc/loadavg)"
  grep '^trained' "$OUT/$name.log" | sed 's/; metrics in.*//'
  "$bench" learning-curve "$OUT/$name" --every "$EVERY"
  python3 - "$OUT/$name/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print("final evaluation ({:.0f} episodes): success {:.3f}, falls {:.3f}, reached {:.3f}, mean speed {:.2f} m/s, final distance {:.2f} m".format(
    m["evaluation_episodes"], m["success_rate"], m["fall"], m["reached_fraction"], m["mean_speed"], m["distance_to_target"]))
PY
done
