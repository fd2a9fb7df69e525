#!/usr/bin/python3
"""kill -9 the `rltune automl` orchestrator at random moments, resume, and count what survived.

Each round: a random-search study (continuous draws, so any duplicate configuration is the
orchestrator's doing) of --trials trials (trainer: a shell that sleeps --trial-seconds and writes
metrics.json) with --parallel slots is killed with SIGKILL after a random delay, then resumed
(`--resume`) to the end. Printed per round: completed before the kill and after the resume,
completed trials lost, completed trials run again, duplicate configurations (all must be 0).
Usage: bench/automl_kill_resume.py [--rounds 5] [--trials 12] [--parallel 2] [--seed 1]
"""
import argparse, os, random, shutil, signal, subprocess, tempfile, time
from automl_common import RLTUNE, build, trials

SPACE = """search_space_id: kill_resume
ppo_params:
  x: { type: uniform, low: 0.0, high: 1.0 }
  y: { type: uniform, low: 0.0, high: 1.0 }
reward_weights: {}
"""

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--trials", type=int, default=12)
ap.add_argument("--parallel", type=int, default=2)
ap.add_argument("--trial-seconds", type=float, default=0.4)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
build()
rng = random.Random(a.seed)
tmp = tempfile.mkdtemp(prefix="rltune-kill-")
trainer = f"sleep {a.trial_seconds}; echo '{{\"value\": 1}}' > {{run_dir}}/metrics.json"
total_bad = 0
try:
    space = os.path.join(tmp, "space.yaml")
    open(space, "w").write(SPACE)
    out = os.path.join(tmp, "runs")
    db = os.path.join(out, "rltune.db")
    for r in range(a.rounds):
        study = f"k{r}"
        common = ["--output", out, "--study", study]
        p = subprocess.Popen([RLTUNE, "automl", "--space", space, "--env", "none", "--trainer-command", trainer, "--objective", "value",
                              "--direction", "minimize", "--steps", "1", "--hp-trials", str(a.trials), "--parallel", str(a.parallel),
                              "--search-method", "random", "--seed", str(r)] + common,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(1.0, 1.0 + 1.2 * a.trials * a.trial_seconds / a.parallel)  # start-up, then anywhere in the run
        time.sleep(delay)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        before = trials(db, study)
        done_before = {t[0]: (t[2], t[4]) for t in before if t[1] == "complete"}
        subprocess.run([RLTUNE, "automl", "--resume"] + common, check=True, stdout=subprocess.DEVNULL)
        after = trials(db, study)
        done_after = {t[0]: (t[2], t[4]) for t in after if t[1] == "complete"}
        lost = sum(1 for n in done_before if n not in done_after)
        rerun = sum(1 for n, v in done_before.items() if n in done_after and done_after[n] != v)
        dup_configs = len(after) - len({t[3] for t in after})
        multi_seed_runs = sum(1 for t in after if t[5] != 1)
        bad = lost + rerun + dup_configs + multi_seed_runs + (len(done_after) != a.trials)
        total_bad += bad
        print(f"round={r} killed_after_s={delay:.2f} complete_before={len(done_before)} complete_after={len(done_after)} of={a.trials} "
              f"lost={lost} rerun_completed={rerun} duplicate_configs={dup_configs} trials_with_extra_seed_runs={multi_seed_runs}")
    print(f"rounds={a.rounds} problems={total_bad}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
