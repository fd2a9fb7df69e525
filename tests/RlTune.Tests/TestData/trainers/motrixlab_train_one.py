#!/usr/bin/python3
"""A stand-in for MotrixLab's starter_kit_schedule/scripts/train_one.py, for RlTune's tests.

It has that script's interface and outputs, not its training:
  motrixlab_train_one.py --config EXPERIMENT_JSON      (the only flag; --config is required)
- reads run_tag, env_name (default vbot_navigation_section001), reward_scales, rl_overrides,
  checkpoint and freeze_preprocessor from the JSON and ignores every other key;
- rejects an rl_overrides key that MotrixLab's PPOCfg has no field for, as its dataclasses.replace
  does (TypeError, exit 1);
- picks its own run dir, runs/<env_name>/<%y-%m-%d_%H-%M-%S-%f>_PPO relative to where it runs, and
  writes there only what skrl writes: a TensorBoard event file (simple_value scalars, and as a TF2
  writer would, tensor scalars for 'metrics / reached_fraction (mean)' and 'Reward Instant /
  termination (mean)'), checkpoints/ and experiment_meta.json; no metrics.json;
- prints PIPELINE_RUN_DIR=<that relative path> and PIPELINE_ELAPSED=<seconds>.

Its outcome: a fall fraction f = 0.02 + 0.4 d^2 + 2.5 / |termination| (at most 0.9), d = log10(learning_rate
/ 3e-4), so a learning rate near 3e-4 and a harsh termination penalty fall least. It logs the
termination reward term as MotrixLab's PPO does (weight x the share of envs terminating), the reached
fraction 0.5 and a constant reward and episode length, so a score ranks runs by f alone. It also
writes fake_truth.json (f) in the run dir, the test's answer key; RlTune never reads it.

FAKE_MOTRIX_WRITES in the environment changes what it logs: "losses" only loss tags (a run with
nothing to score); "fall_rate" the fall fraction as 'metrics / fall_rate (mean)' instead of the
termination reward term (a trainer whose rate needs a metric map).
"""
import argparse, datetime, json, math, os, socket, sys, time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensorboard"))
import make_events as tb  # the independent event encoder

# MotrixLab's BaseRLCfg and PPOCfg fields: the rl_overrides keys its Trainer accepts.
RL_FIELDS = {
    "seed", "num_envs", "play_num_envs", "max_env_steps", "check_point_interval",
    "policy_hidden_layer_sizes", "value_hidden_layer_sizes", "share_policy_value_features",
    "rollouts", "learning_epochs", "mini_batches", "discount_factor", "lambda_param",
    "learning_rate", "learning_rate_scheduler_kl_threshold", "lr_scheduler_type",
    "random_timesteps", "learning_starts", "grad_norm_clip", "time_limit_bootstrap",
    "ratio_clip", "value_clip", "clip_predicted_values", "entropy_loss_scale",
    "value_loss_scale", "kl_threshold", "rewards_shaper_scale", "compile_model",
}
ENTRIES = 20


def fall_fraction(reward_scales, rl):
    d = math.log10(float(rl.get("learning_rate", 1e-3)) / 3e-4)
    return min(0.9, 0.02 + 0.4 * d * d + 2.5 / abs(float(reward_scales.get("termination", -100))))


def tensor_scalar(tag, x, first):
    t = tb.f_varint(1, tb.DT_FLOAT) + tb.shape() + tb.f_bytes(4, tb.struct.pack("<f", x))
    return tb.tensor_value(tag, t, tb.plugin_meta("scalars") if first else b"")


def main():
    parser = argparse.ArgumentParser(description="Run a single pipeline training experiment")
    parser.add_argument("--config", required=True, help="Path to experiment config JSON")
    args = parser.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    run_tag = config.get("run_tag", f"exp_{int(time.time())}")
    reward_scales = config.get("reward_scales", {})
    rl = config.get("rl_overrides", {})
    env_name = config.get("env_name", "vbot_navigation_section001")
    unknown = sorted(set(rl) - RL_FIELDS)
    if unknown:
        print("Traceback (most recent call last):", file=sys.stderr)
        print(f"TypeError: PPOCfg.__init__() got an unexpected keyword argument '{unknown[0]}'", file=sys.stderr)
        sys.exit(1)
    print(f"[Pipeline] Starting experiment: {run_tag}", flush=True)
    start = time.time()
    run_dir = os.path.join("runs", env_name, datetime.datetime.now().strftime("%y-%m-%d_%H-%M-%S-%f") + "_PPO")
    os.makedirs(os.path.join(run_dir, "checkpoints"))

    f = fall_fraction(reward_scales, rl)
    weight = float(reward_scales.get("termination", -100))
    steps = int(rl.get("max_env_steps", 20480000))
    writes = os.environ.get("FAKE_MOTRIX_WRITES", "all")
    recs = [tb.event(start, extra=tb.f_bytes(3, "brain.Event:2"))]
    for i in range(ENTRIES):
        step, wall = (i + 1) * steps // ENTRIES, start + i
        fall = f + (0.5 - f) * max(0.0, 1 - i / 12)  # the last 8 entries sit at f
        values = [tb.simple("Loss / Policy loss", -0.01 * i), tb.simple("Loss / Value loss", 1.0 / (i + 1))]
        if writes != "losses":
            values += [tb.simple("Reward / Total reward (mean)", 8.0), tb.simple("Episode / Total timesteps (mean)", 600.0),
                       tb.simple("metrics / distance_to_target (mean)", 1.5),
                       tensor_scalar("metrics / reached_fraction (mean)", 0.5, i == 0)]
        if writes == "all":
            values += [tb.simple("Reward Instant / termination (min)", weight), tb.simple("Reward Instant / termination (max)", 0.0),
                       tensor_scalar("Reward Instant / termination (mean)", weight * fall, i == 0)]
        elif writes == "fall_rate":
            values.append(tb.simple("metrics / fall_rate (mean)", fall))
        recs.append(tb.event(wall, step, values))
    events = os.path.join(run_dir, f"events.out.tfevents.{int(start)}.{socket.gethostname()}.{os.getpid()}.0")
    with open(events, "wb") as out:
        out.write(b"".join(tb.record(r) for r in recs))
    with open(os.path.join(run_dir, "checkpoints", "best_agent.pt"), "w") as out:
        out.write(run_tag)
    with open(os.path.join(run_dir, "fake_truth.json"), "w") as out:
        json.dump({"fall_fraction": f}, out)
    elapsed = time.time() - start
    with open(os.path.join(run_dir, "experiment_meta.json"), "w") as out:
        json.dump({"run_tag": run_tag, "env_name": env_name, "reward_scales": reward_scales,
                   "rl_overrides": {k: str(v) for k, v in rl.items()}, "run_dir": run_dir,
                   "elapsed_seconds": elapsed, "start_time": start}, out, indent=2)
    print(f"PIPELINE_RUN_DIR={run_dir}")
    print(f"PIPELINE_ELAPSED={elapsed:.1f}")
    print(f"[Pipeline] Experiment {run_tag} finished in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
