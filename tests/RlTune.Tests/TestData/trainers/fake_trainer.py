#!/usr/bin/python3
"""A tiny external trainer for RlTune's tests: speaks the trial protocol without training.

  fake_trainer.py MODE[@SECONDS] CONFIG_JSON RUN_DIR

@SECONDS sleeps that long first (a trainer that takes time). MODE:
  metrics      writes RUN_DIR/metrics.json computed from the config's params (see score_params) and
               a checkpoint RUN_DIR/checkpoints/final.ckpt naming the run and its warm start
  tensorboard  writes only a TensorBoard event file (no metrics.json), with skrl's tag names
  run-dir      chooses its own run dir (RUN_DIR/chosen), writes metrics.json there, prints PIPELINE_RUN_DIR=
  crash        prints to stderr and exits with code 3
  hang         starts a grandchild `sleep`, records its pid in RUN_DIR/grandchild.pid, then sleeps
  graceful     as hang, but on SIGTERM writes RUN_DIR/stopped.txt ("flushed") and exits 0
  stubborn     as hang, but ignores SIGTERM (only SIGKILL ends it)
  nan          writes metrics.json with a NaN (as Python's json does)
  chain        as metrics, but the checkpoint also lists the run tags of every run it continues (its warm
               start's list plus its own), and metrics.json holds that list's length as chain_length
  nan-final    as metrics, but a run tagged *_final (automl's full training) writes an infinite reward
  error        writes metrics.json with an "error" sentence and exits 0
  nothing      exits 0 without writing anything
  rungs        a trainer that resumes: with `resume: true` it continues its `checkpoint` (a JSON file of the env
               steps reached and trained so far); 10 PROGRESS lines from there to max_env_steps (reward, success,
               length), then metrics as in `metrics` with `value` falling and success rising with the steps reached,
               `trained_env_steps` (all the steps this seed's pieces trained) and `resumed_from`, and its checkpoint.
               x >= 0.9 is a lazy robot: reward rising, success 0, episodes at the 1000-step limit; a file
               hang_at_STEPS beside the config makes a piece to STEPS hang until it is killed
  curve        a learning curve: 10 PROGRESS lines 0.1 s apart, success rising linearly to the
               params' success (score_params), 1 s more, then metrics as in `metrics`
  chatty-curve as curve, but each PROGRESS line is followed by 128 KB of log, more than the pipe and
               a reader's buffers hold: the trainer goes on only once the runner has read (and judged) the line
  device       fake_trainer.py device[@SECONDS] CONFIG RUN_DIR DEVICE LOCK_DIR PER_DEVICE VICTIM: a trainer on
               a GPU. It takes one of the device's PER_DEVICE slots, an exclusive lock LOCK_DIR/DEVICE.K.lock
               the kernel frees when the process dies however it dies (none free: the device is
               overbooked), writes RUN_DIR/device.json (CUDA_VISIBLE_DEVICES, the {device} argument, the
               slot, start and, when done, end), then sleeps SECONDS and writes metrics as in `metrics`;
               trial VICTIM sleeps until killed.
Every other mode prints two PROGRESS lines first.
"""
import fcntl, json, math, os, signal, subprocess, sys, time

sys.dont_write_bytecode = True

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensorboard"))
import make_events as tb  # the independent event encoder


def score_params(params):
    """Smooth in every numeric parameter: best at 0.3 for each (any scale, via log for positive lr-like values)."""
    loss = 0.0
    for k, v in sorted(params.items()):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        x = math.log10(v) + 4 if "learning_rate" in k and v > 0 else float(v)
        loss += (x - 0.3) ** 2
    success = math.exp(-loss)
    return {"value": loss, "success_rate": success, "termination_rate": 1 - success,
            "episode_reward_mean": 10 * success, "episode_length_mean": 1000 - 500 * success}


def hold_device(cfg, run_dir, metrics, seconds):
    device_arg, lock_dir, per_device, victim = sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
    seen = os.environ.get("CUDA_VISIBLE_DEVICES")
    held, slot = None, None
    for k in range(per_device):
        f = open(os.path.join(lock_dir, f"{seen}.{k}.lock"), "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held, slot = f, k
            break
        except BlockingIOError:
            f.close()
    record = {"trial": cfg.get("trial"), "cuda_visible_devices": seen, "device_arg": device_arg, "slot": slot,
              "overbooked": held is None, "start": time.time(), "end": None}
    write_json(os.path.join(run_dir, "device.json"), record)
    if cfg.get("trial") == victim:
        time.sleep(300)
    time.sleep(seconds)
    record["end"] = time.time()
    write_json(os.path.join(run_dir, "metrics.json"), metrics)
    write_json(os.path.join(run_dir, "device.json"), record)


def main():
    mode, cfg_path, run_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = 0.0
    if "@" in mode:
        mode, seconds = mode.split("@")
        seconds = float(seconds)
    if mode != "device":  # a trainer on a device takes its time while it holds the device
        time.sleep(seconds)
    with open(cfg_path) as f:
        cfg = json.load(f)
    steps = int(cfg.get("rl_overrides", {}).get("max_env_steps", 100))
    metrics = score_params(cfg.get("params", {}))
    if mode == "rungs":
        if os.path.exists(os.path.join(os.path.dirname(cfg_path), f"hang_at_{steps}")):
            time.sleep(300)  # until killed: an interrupted piece
        start, trained = 0, 0
        if cfg.get("resume"):
            with open(cfg["checkpoint"]) as f:
                state = json.load(f)
            start, trained = state["steps"], state["trained"]
        lazy = cfg.get("params", {}).get("x", 0) >= 0.9
        def success_at(step):
            return 0.0 if lazy else metrics["success_rate"] * step / (step + 1000)
        for i in range(1, 11):
            step = start + (steps - start) * i // 10
            reward = 10 * step / steps if lazy else 10 * success_at(step)
            length = 1000 if lazy else 1000 - 500 * success_at(step)
            print(f"PROGRESS step={step} of={steps} reward={reward!r} success={success_at(step)!r} length={length!r}", flush=True)
        metrics["value"] += 1000 / steps
        metrics["success_rate"] = success_at(steps)
        metrics["trained_env_steps"] = trained + steps - start
        metrics["resumed_from"] = start
        os.makedirs(os.path.join(run_dir, "checkpoints"), exist_ok=True)
        write_json(os.path.join(run_dir, "checkpoints", "final.ckpt"), {"steps": steps, "trained": trained + steps - start})
        mode = "metrics-only"
    elif mode in ("curve", "chatty-curve"):
        for i in range(1, 11):
            time.sleep(0.1)
            s = metrics["success_rate"] * i / 10
            print(f"PROGRESS step={steps * i // 10} of={steps} reward={10 * s!r} success={s!r} steps_per_s=1000", flush=True)
            if mode == "chatty-curve":
                print(("log " + "." * 1019 + "\n") * 128, end="", flush=True)
        time.sleep(1.0)  # the final evaluation: a pruned run is killed well before it ends, even on a loaded machine
        mode = "metrics"
    else:
        for i in (1, 2):
            print(f"PROGRESS step={steps * i // 2} of={steps} reward={i * 0.5} success={i * 0.25}", flush=True)
    os.makedirs(run_dir, exist_ok=True)
    seed = cfg.get("rl_overrides", {}).get("seed", -1)
    metrics["seed"] = seed
    metrics["value"] += 0.01 * seed  # seeds differ a little, as real training runs do
    metrics["warm_start"] = 1 if cfg.get("checkpoint") else 0
    metrics["steps"] = steps
    chain = None
    if mode == "chain":
        chain = []
        if cfg.get("checkpoint"):
            with open(cfg["checkpoint"]) as f:
                chain = json.load(f)["chain"]
        chain = chain + [cfg.get("run_tag")]
        metrics["chain_length"] = len(chain)
        mode = "metrics"
    if mode == "nan-final":
        if str(cfg.get("run_tag", "")).endswith("_final"):
            metrics["episode_reward_mean"] = float("inf")
        mode = "metrics"
    if mode == "metrics-only":
        write_json(os.path.join(run_dir, "metrics.json"), metrics)
    elif mode == "metrics":
        os.makedirs(os.path.join(run_dir, "checkpoints"), exist_ok=True)
        with open(os.path.join(run_dir, "checkpoints", "final.ckpt"), "w") as f:
            f.write(json.dumps({"run_tag": cfg.get("run_tag"), "warm_start": cfg.get("checkpoint"), "chain": chain}))
        write_json(os.path.join(run_dir, "metrics.json"), metrics)  # json.dumps writes Infinity/NaN literals
    elif mode == "tensorboard":
        recs = [tb.event(1700000000.0, extra=tb.f_bytes(3, "brain.Event:2"))]
        for i in range(10):
            for tag, x in [("Reward / Total reward (mean)", i), ("Episode / Total timesteps (mean)", 100 * i),
                           ("metrics / success (mean)", i / 10), ("metrics / fall (mean)", 1 - i / 10)]:
                recs.append(tb.event(1700000001.0 + i, i * 10, [tb.simple(tag, x)]))
        with open(os.path.join(run_dir, "events.out.tfevents.1700000000.fake"), "wb") as f:
            f.write(b"".join(tb.record(r) for r in recs))
    elif mode == "run-dir":
        chosen = os.path.join(run_dir, "chosen")
        os.makedirs(chosen, exist_ok=True)
        write_json(os.path.join(chosen, "metrics.json"), metrics)
        print("PIPELINE_RUN_DIR=" + chosen, flush=True)
    elif mode == "crash":
        print("Traceback: something broke in the trainer", file=sys.stderr, flush=True)
        sys.exit(3)
    elif mode in ("hang", "graceful", "stubborn"):
        if mode == "graceful":
            def flush_and_exit(signum, frame):
                write_text(os.path.join(run_dir, "stopped.txt"), "flushed")
                sys.exit(0)
            signal.signal(signal.SIGTERM, flush_and_exit)
        elif mode == "stubborn":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "300"])
        write_text(os.path.join(run_dir, "grandchild.pid"), str(child.pid))
        time.sleep(300)
    elif mode == "nan":
        metrics["episode_reward_mean"] = float("nan")
        with open(os.path.join(run_dir, "metrics.json"), "w") as f:
            json.dump(metrics, f)
    elif mode == "error":
        write_json(os.path.join(run_dir, "metrics.json"), {"error": "NaN in the policy loss at step 4096"})
    elif mode == "nothing":
        pass
    elif mode == "device":
        hold_device(cfg, run_dir, metrics, seconds)
    else:
        sys.exit("unknown mode " + mode)


def write_text(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def write_json(path, obj):
    write_text(path, json.dumps(obj))


if __name__ == "__main__":
    main()
