#!/usr/bin/env python3
"""Trains vbot-nav-lite candidates (reward weights, PPO settings, env overrides) over several seeds
and prints what each learned: the deterministic evaluation from metrics.json plus two learning curves:
the deterministic policy at each interval checkpoint (`rltune play`, 256 robots: success/falls) and the
training success read from the PROGRESS lines ("90% at": the env step where 5 updates in a row
averaged 90 %).

Usage:
  bench/env-tune.py CANDIDATES.json [--seeds 1,2,3] [--steps 4000000] [--parallel 2] [--out runs/env-tune]
  bench/env-tune.py --summarize DIR...   (print the table for finished run dirs)
CANDIDATES.json maps a name to {"reward_scales": {...}, "rl_overrides": {...}, "env_overrides": {...}}
(each optional; what is missing is the env's default). Each run writes DIR/<name>/seed_<S>/ (the
run dir: metrics.json, events, checkpoints) and DIR/<name>/seed_<S>.log (the trainer's stdout).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# RLTUNE names another build (e.g. a copy, so that rebuilding the worktree cannot disturb running trainings)
RLTUNE = os.environ.get("RLTUNE") or os.path.join(ROOT, "src/RlTune.Cli/bin/Release/net10.0/rltune")


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def curve(log_path):
    """[(env_steps, training success)] from the PROGRESS lines of a trainer's stdout."""
    points = []
    if not os.path.exists(log_path):
        return points
    for line in open(log_path):
        if not line.startswith("PROGRESS "):
            continue
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        if fields.get("success", "nan") != "nan":
            points.append((int(fields["step"]), float(fields["success"])))
    return points


def first_step_at(points, level, window=5):
    """The env step at which the training success, averaged over `window` updates, first reaches `level`."""
    for i in range(len(points)):
        recent = [s for _, s in points[max(0, i - window + 1): i + 1]]
        if len(recent) == window and sum(recent) / window >= level:
            return points[i][0]
    return None


def checkpoints(points, marks=(1e6, 2e6, 4e6, 6e6, 8e6, 10e6)):
    """Training success (mean of the last 5 updates) at the given env steps."""
    out = []
    for m in marks:
        before = [s for step, s in points if step <= m]
        if points and points[-1][0] >= m * 0.98:
            out.append(sum(before[-5:]) / max(1, len(before[-5:])))
    return out


def checkpoint_curve(run_dir, robots=256):
    """[(env_steps, success, falls)] of the deterministic policy at each interval checkpoint (rltune play)."""
    import glob
    import re
    out = []
    found = glob.glob(os.path.join(run_dir, "checkpoints", "agent_*.ckpt"))
    for path in sorted(found, key=lambda p: int(re.search(r"agent_(\d+)", p).group(1))):
        steps = int(re.search(r"agent_(\d+)", path).group(1))
        cache = path + f".play{robots}.txt"
        if not os.path.exists(cache):
            text = subprocess.run([RLTUNE, "play", "--checkpoint", path, "--robots", str(robots), "--seed", "11",
                                   "--out", path + ".png"], capture_output=True, text=True).stdout
            with open(cache, "w") as f:
                f.write(text)
        m = re.search(r"(\d+) robots: (\d+) reached and stopped, (\d+) fell", open(cache).read())
        if m:
            out.append((steps, int(m.group(2)) / int(m.group(1)), int(m.group(3)) / int(m.group(1))))
    return out


def summarize_run(run_dir, log_path):
    metrics_path = os.path.join(run_dir, "metrics.json")
    m = json.load(open(metrics_path)) if os.path.exists(metrics_path) else {}
    points = curve(log_path)
    return {
        "success": m.get("success_rate", float("nan")),
        "fall": m.get("fall", float("nan")),
        "termination": m.get("termination_rate", float("nan")),
        "length": m.get("episode_length_mean", float("nan")),
        "reward": m.get("episode_reward_mean", float("nan")),
        "reached": m.get("reached_fraction", float("nan")),
        "speed": m.get("mean_speed", float("nan")),
        "seconds": m.get("train_seconds", float("nan")),
        "steps": m.get("train_env_steps", 0),
        "first90": first_step_at(points, 0.9),
        "curve": checkpoints(points),
        "evals": checkpoint_curve(run_dir),
    }


HEADER = (f"{'case':<16}{'seed':>5}{'success':>9}{'falls':>7}{'term':>7}{'length':>8}{'reward':>9}{'reached':>9}"
          f"{'speed':>7}{'train s':>9}{'90% at':>9}  deterministic success/falls at each checkpoint | training success at 1/2/4/6/8/10M")


def row(name, seed, r):
    first = f"{r['first90'] / 1e6:.1f}M" if r["first90"] else "-"
    marks = " ".join(f"{s:.2f}" for s in r["curve"])
    evals = " ".join(f"{steps / 1e6:.1f}M:{success:.2f}/{falls:.2f}" for steps, success, falls in r["evals"])
    return (f"{name:<16}{seed:>5}{r['success']:>9.3f}{r['fall']:>7.3f}{r['termination']:>7.3f}{r['length']:>8.0f}"
            f"{r['reward']:>9.1f}{r['reached']:>9.3f}{r['speed']:>7.2f}{r['seconds']:>9.0f}{first:>9}  {evals} | {marks}")


def train(out, name, candidate, seed, steps):
    case_dir = os.path.join(out, name)
    os.makedirs(case_dir, exist_ok=True)
    config_path = os.path.join(case_dir, f"seed_{seed}.json")
    config = {"env_name": "vbot-nav-lite", "run_tag": name, "reward_scales": candidate.get("reward_scales", {})}
    for key in ("rl_overrides", "env_overrides"):
        if candidate.get(key):
            config[key] = candidate[key]
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)
    run_dir = os.path.join(case_dir, f"seed_{seed}")
    log_path = run_dir + ".log"
    load_before = load_average()
    with open(log_path, "w") as log:
        code = subprocess.call([RLTUNE, "train", "--env", "vbot-nav-lite", "--steps", str(steps), "--seed", str(seed),
                                "--output", run_dir, "--config", config_path], stdout=log, stderr=subprocess.STDOUT)
    r = summarize_run(run_dir, log_path)
    line = row(name, seed, r) + f"  (load {load_before} -> {load_average()}, exit {code})"
    print(line, flush=True)
    return name, seed, r


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("candidates", nargs="?")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--steps", type=int, default=4_000_000)
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--out", default="runs/env-tune")
    p.add_argument("--only", help="comma-separated candidate names to run")
    p.add_argument("--summarize", nargs="+", metavar="DIR", help="print the table for finished runs (DIR/<name>/seed_S)")
    a = p.parse_args()
    if a.summarize:
        print(HEADER)
        for out in a.summarize:
            for name in sorted(os.listdir(out)):
                case = os.path.join(out, name)
                if not os.path.isdir(case):
                    continue
                for entry in sorted(os.listdir(case)):
                    if entry.startswith("seed_") and os.path.isdir(os.path.join(case, entry)):
                        print(row(name, entry[5:], summarize_run(os.path.join(case, entry), os.path.join(case, entry) + ".log")))
        return 0
    if not a.candidates:
        p.error("CANDIDATES.json is needed (or --summarize DIR)")
    candidates = json.load(open(a.candidates))
    if a.only:
        candidates = {k: v for k, v in candidates.items() if k in a.only.split(",")}
    seeds = [int(s) for s in a.seeds.split(",")]
    if not os.environ.get("RLTUNE"):
        subprocess.check_call(["dotnet", "build", os.path.join(ROOT, "src/RlTune.Cli"), "-c", "Release", "--nologo", "-v", "q"],
                              stdout=subprocess.DEVNULL)
    print(f"{len(candidates)} candidates x {len(seeds)} seeds, {a.steps} env steps each, {a.parallel} at once; load {load_average()}")
    print(HEADER, flush=True)
    start = time.time()
    jobs = [(name, c, s) for s in seeds for name, c in candidates.items()]
    with ThreadPoolExecutor(max_workers=a.parallel) as pool:
        results = list(pool.map(lambda j: train(a.out, j[0], j[1], j[2], a.steps), jobs))
    print(f"\nsorted by candidate ({time.time() - start:.0f} s wall):")
    print(HEADER)
    for name in candidates:
        for n, s, r in results:
            if n == name:
                print(row(n, s, r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
