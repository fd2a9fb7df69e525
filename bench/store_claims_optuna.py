#!/usr/bin/python3
"""Peer for `rltune-bench store-claims`: Optuna's RDB storage doing the same work.

Two flows, each with C processes and N trivial trials in total:
  claim: N trials are enqueued first (study.enqueue_trial); each process asks (pops the oldest
         waiting trial: Optuna's claim) and tells, N/C times.
  ask:   nothing is enqueued; each process asks for a new trial (random sampler) and tells, N/C times.
Prints trials per second from the first ask to the last tell, and what went wrong: errors raised
by Optuna (retried) and whether every trial ended complete exactly once.

usage: /usr/bin/python3 bench/store_claims_optuna.py [--claimers 4] [--trials 2000] [--pg URL]
       needs python3-optuna, and python3-psycopg2 for --pg postgresql://user@host:port/db: scripts/install-bench-deps
"""
import argparse
import multiprocessing as mp
import os
import tempfile
import time

import optuna


def claimer(url, study_name, n, ready, go, out):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name=study_name, storage=url, sampler=optuna.samplers.RandomSampler())
    ready.put(1)
    go.wait()
    start = time.time()
    done = errors = 0
    while done < n:
        try:
            trial = study.ask()
            study.tell(trial, trial.suggest_float("x", 0.0, 1e9) * 0.0)
            done += 1
        except Exception:  # Optuna races on concurrent pops of waiting trials; count and go on
            errors += 1
            if errors > 10 * n:
                break
    out.put((done, start, time.time(), errors))


def measure(kind, flow, url, claimers, trials):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    name = "claims-%s-%d" % (flow, os.getpid())
    study = optuna.create_study(study_name=name, storage=url, direction="maximize")
    t0 = time.time()
    if flow == "claim":
        for i in range(trials):
            study.enqueue_trial({"x": float(i)})
    enqueue_rate = trials / (time.time() - t0) if flow == "claim" else float("nan")
    ready, out, go = mp.Queue(), mp.Queue(), mp.Event()
    per = trials // claimers
    procs = [mp.Process(target=claimer, args=(url, name, per, ready, go, out)) for _ in range(claimers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    go.set()
    reports = [out.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[2] for r in reports) - min(r[1] for r in reports)
    done = optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=False)
    complete = sum(1 for t in done if t.state == optuna.trial.TrialState.COMPLETE)
    ok = complete == per * claimers == len(done)
    check = "every trial finished exactly once" if ok else "MISMATCH: %d complete of %d trials, %d told" % (
        complete, len(done), sum(r[0] for r in reports))
    print("%-11s %-6s %10.0f %10.0f %8.2f  %s; %d errors" % (
        kind, flow, enqueue_rate, sum(r[0] for r in reports) / wall, wall, check, sum(r[3] for r in reports)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--claimers", type=int, default=4)
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--pg")
    a = ap.parse_args()
    print("optuna %s store-claims: %d processes, %d trivial trials" % (optuna.__version__, a.claimers, a.trials))
    print("%-11s %-6s %10s %10s %8s  check" % ("store", "flow", "enqueue/s", "trials/s", "wall_s"))
    for flow in ("claim", "ask"):
        with tempfile.TemporaryDirectory() as d:
            measure("sqlite", flow, "sqlite:///" + os.path.join(d, "claims.db"), a.claimers, a.trials)
        if a.pg:
            measure("postgresql", flow, a.pg.replace("postgresql://", "postgresql+psycopg2://"), a.claimers, a.trials)


if __name__ == "__main__":
    main()
