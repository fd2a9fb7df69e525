"""Shared helpers of the automl bench scripts: find or build the Release rltune, run it, read a study."""
import argparse, contextlib, json, os, re, shutil, sqlite3, struct, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RLTUNE = os.path.join(REPO, "src", "RlTune.Cli", "bin", "Release", "net10.0", "rltune")


def build():
    subprocess.run(["dotnet", "build", os.path.join(REPO, "src", "RlTune.Cli", "RlTune.Cli.csproj"), "-c", "Release", "--nologo", "-v", "q"],
                   check=True, stdout=subprocess.DEVNULL)


def shared_bench():
    d = os.path.join(REPO, "..", "shared", "bench")
    if os.path.exists(os.path.join(d, "functions.py")):
        return os.path.abspath(d)
    sys.exit(f"{os.path.abspath(d)}/functions.py not found: the peers' harnesses live in ../shared/bench beside the repository")


def trials(db, study):
    """(number, state, score, params_json, ended_ms, seed_runs) of every trial of a study."""
    con = sqlite3.connect(db)
    try:
        sid = con.execute("SELECT id FROM studies WHERE name = ?", (study,)).fetchone()
        if sid is None:
            return []
        return con.execute(
            "SELECT t.number, t.state, t.score, t.params_json, t.ended_ms, "
            "(SELECT COUNT(*) FROM seed_runs s WHERE s.study_id = t.study_id AND s.number = t.number) "
            "FROM trials t WHERE t.study_id = ? ORDER BY t.number", (sid[0],)).fetchall()
    finally:
        con.close()


def status(output, study):
    out = subprocess.run([RLTUNE, "status", "--output", output, "--study", study, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# ---- the nav-lite benches (automl_navlite_methods.py, automl_pruning.py)

NAVLITE_NETS = {"policy_hidden_layer_sizes": [64, 64], "value_hidden_layer_sizes": [64, 64]}
NAVLITE_ENV_OVERRIDES = '{"spawn_ring": [2, 5], "max_episode_steps": 400}'


def navlite_arguments(seeds, extra=None):
    """Parses the flags both nav-lite benches take (trials, seeds, steps, envs, parallel, env overrides, --keep); extra(ap) adds a script's own."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=seeds)
    ap.add_argument("--steps", type=int, default=300_000)
    ap.add_argument("--num-envs", type=int, default=64)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--env-overrides", default=NAVLITE_ENV_OVERRIDES)
    ap.add_argument("--keep", action="store_true", help="keep the run root (its path is printed)")
    if extra:
        extra(ap)
    return ap.parse_args()


def navlite_flags(a, space, root):
    """The automl flags every nav-lite study of a bench shares: space, steps, envs, env overrides, run root, parallelism."""
    return ["--space", space, "--steps", str(a.steps), "--num-envs", str(a.num_envs), "--env-overrides", a.env_overrides,
            "--output", root, "--parallel", str(a.parallel), "--threads-per-trial", "1"]


@contextlib.contextmanager
def run_root(prefix, keep):
    """Builds the Release rltune, then yields a fresh run root and its open bench.log; removes the root afterwards unless keep."""
    build()
    root = tempfile.mkdtemp(prefix=prefix)
    log = open(os.path.join(root, "bench.log"), "w")
    try:
        yield root, log
    finally:
        log.close()
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def run_logged(args, log):
    """Runs a command with its output appended to the open file `log`; exits naming the log when it fails."""
    log.write("$ " + " ".join(args) + "\n")
    log.flush()
    r = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(args)}\nsee {log.name}")


def env_default_weights():
    """vbot-nav-lite's default reward weights, as `rltune envs` lists them."""
    out = subprocess.run([RLTUNE, "envs"], check=True, capture_output=True, text=True).stdout
    weights, current = {}, None
    for line in out.splitlines():
        if not line.startswith(" "):
            current = line.split(":")[0]
        elif current == "vbot-nav-lite" and (m := re.match(r"\s+(\w+)\s+\w+\s+default\s+(\S+)", line)):
            weights[m.group(1)] = float(m.group(2))
    return weights


def trainer_ppo_defaults(workdir, log):
    """The PPO config train-one uses when a trial config sets nothing, as its checkpoint header records it."""
    probe = os.path.join(workdir, "probe")
    cfg = os.path.join(workdir, "probe.json")
    with open(cfg, "w") as f:
        json.dump({"env_name": "vbot-nav-lite", "rl_overrides": {"max_env_steps": 1, "num_envs": 64}, "run_dir": probe}, f)
    run_logged([RLTUNE, "train-one", "--config", cfg, "--eval-episodes", "1", "--threads", "1", "--env-threads", "1"], log)
    with open(os.path.join(probe, "checkpoints", "final_agent.ckpt"), "rb") as f:
        magic = f.readline()
        assert magic == b"RLTUNE-CHECKPOINT-1\n", magic
        (length,) = struct.unpack("<i", f.read(4))
        return json.loads(f.read(length))["config"]


def set_prior(spec, value):
    """Makes value the prior of a space entry, widening its range (or adding the choice) so it is allowed."""
    kind = spec["type"]
    if kind in ("choice", "categorical"):
        key = "values" if "values" in spec else "choices"
        if value not in spec[key]:
            spec[key] = spec[key] + [value]
    else:
        if kind == "int":
            value = int(value)
        spec["low"], spec["high"] = min(spec["low"], value), max(spec["high"], value)
    spec["prior"] = value


def navlite_space(workdir, priors, log):
    """presets/full_unified.yaml with 64-64 networks fixed; with priors="env" its priors are the env's and trainer's defaults. Returns its path."""
    import yaml
    with open(os.path.join(REPO, "presets", "full_unified.yaml")) as f:
        space = yaml.safe_load(f)
    space["search_space_id"] = "navlite_bench"
    for name in NAVLITE_NETS:
        space["ppo_params"].pop(name, None)
    space["fixed"] = {**space.get("fixed", {}), **NAVLITE_NETS}
    if priors == "env":
        for name, w in env_default_weights().items():
            if name in space["reward_weights"]:
                set_prior(space["reward_weights"][name], w)
        for name, v in trainer_ppo_defaults(workdir, log).items():
            if name in space["ppo_params"]:
                set_prior(space["ppo_params"][name], v)
    path = os.path.join(workdir, "navlite_bench.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(space, f, sort_keys=False)
    return path


def best_of(db, study):
    """The best success_rate and the best score among a study's complete trials, and how many completed."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT t.metrics_json, t.score FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = ? AND t.state = 'complete'",
                       (study,)).fetchall()
    con.close()
    success = max((json.loads(m).get("success_rate", 0.0) for m, _ in rows), default=float("nan"))
    score = max((sc for _, sc in rows if sc is not None), default=float("nan"))
    return success, score, len(rows)
