#!/usr/bin/env bash
# Search quality and cost of our samplers next to Optuna's, measured in the same session on the
# public objectives of shared/bench (branin, hartmann6, ppo_surrogate), printed side by side.
# With --noise SD: every observed value gets the same seeded Gaussian noise in both programs, the functions add our
# narrow ones, and each sampler is judged by the TRUE value of the configuration its study crowns
# (bench/sampler_noisy_optuna.py is Optuna's side).
# Usage: bench/sampler-quality.sh [--trials 50] [--seeds 20] [--history 200] [--noise SD]
# Needs python3-optuna for the peer: scripts/install-bench-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=50 seeds=20 history=200 noise=""
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --history) history=$2; shift 2 ;;
    --noise) noise=$2; shift 2 ;;
    *) echo "usage: bench/sampler-quality.sh [--trials 50] [--seeds 20] [--history 200] [--noise SD] (needs python3-optuna: scripts/install-bench-deps)" >&2; exit 1 ;;
  esac
done
shared=""
for d in "$PWD" "$PWD/.." "$PWD/../.." "$PWD/../../.."; do
  if [ -f "$d/shared/bench/optuna_anchor.py" ]; then shared=$(cd "$d/shared/bench" && pwd); break; fi
done
[ -n "$shared" ] || { echo "sampler-quality: shared/bench (the Optuna anchor) not found above $PWD" >&2; exit 1; }
/usr/bin/python3 -c "import optuna" 2>/dev/null || { echo "sampler-quality: the peer needs python3-optuna; run scripts/install-bench-deps" >&2; exit 1; }
dotnet build bench/RlTune.Bench -c Release --nologo -v q >/dev/null
bench="dotnet bench/RlTune.Bench/bin/Release/net10.0/rltune-bench.dll sampler-quality --spaces $shared"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -n "$noise" ]; then
  echo "measuring with noise sd $noise: rltune (random, bayesian, tpe), then Optuna (random, tpe-multivariate); $trials trials x $seeds seeds" >&2
  $bench --trials "$trials" --seeds "$seeds" --noise "$noise" --samplers random,bayesian,tpe > "$out/ours.txt"
  /usr/bin/python3 bench/sampler_noisy_optuna.py --shared "$shared" --trials "$trials" --seeds "$seeds" --noise "$noise" > "$out/optuna.txt"
  /usr/bin/python3 - "$out" <<'PY'
import re, sys, os
rows = []
for f in ("ours.txt", "optuna.txt"):
    for line in open(os.path.join(sys.argv[1], f)):
        m = re.match(r"(\S+)\s+(\S+)\s+true_gap_mean=(\S+) true_gap_p90=(\S+) crowned_flat=(\d+) never_below_flat=(\d+)", line)
        if m: rows.append(m.groups())
print(open(os.path.join(sys.argv[1], "ours.txt")).readline().strip())
print(open(os.path.join(sys.argv[1], "optuna.txt")).readline().strip())
print()
print("true gap to the optimum of the crowned configuration (lower is better): mean / 90th percentile; seeds crowned in the flat region / that never tried below it")
print("| objective | sampler | mean | p90 | crowned flat | never below flat |")
print("|---|---|---|---|---|---|")
for fn in dict.fromkeys(r[0] for r in rows):
    for r in rows:
        if r[0] == fn:
            print(f"| {fn} | {r[1]} | {float(r[2]):.3f} | {float(r[3]):.3f} | {r[4]} | {r[5]} |")
PY
  exit 0
fi
echo "measuring: rltune (random, bayesian, tpe), then Optuna (random, tpe, tpe-multivariate); $trials trials x $seeds seeds" >&2
$bench --trials "$trials" --seeds "$seeds" --samplers random,bayesian,tpe > "$out/ours.txt"
/usr/bin/python3 "$shared/optuna_anchor.py" --trials "$trials" --seeds "$seeds" 2>/dev/null > "$out/optuna.txt"
$bench --history "$history" --samplers bayesian,tpe > "$out/ours_history.txt"
# Optuna's TPE cost per ask with the same amount of history, for the ratio
/usr/bin/python3 - "$shared" "$history" > "$out/optuna_history.txt" 2>/dev/null <<'PY'
import sys, time, statistics
sys.path.insert(0, sys.argv[1])
import optuna
from functions import OBJECTIVES
from spaces import SPACES
from optuna_anchor import suggest
optuna.logging.set_verbosity(optuna.logging.ERROR)
n = int(sys.argv[2])
for fn in ["branin", "hartmann6", "ppo_surrogate"]:
    for name, mk in [("tpe", lambda: optuna.samplers.TPESampler(seed=0)), ("tpe-multivariate", lambda: optuna.samplers.TPESampler(seed=0, multivariate=True))]:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), direction="minimize")
        for _ in range(n):
            t = study.ask(); study.tell(t, OBJECTIVES[fn](suggest(t, SPACES[fn])))
        study.sampler = mk()
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            t = study.ask()
            p = suggest(t, SPACES[fn])
            times.append(time.perf_counter() - t0)
            study.tell(t, OBJECTIVES[fn](p))
        print(f"{fn} {name} {statistics.median(times)*1000:.2f}")
PY
/usr/bin/python3 - "$out" <<'PY'
import re, sys, os
out = sys.argv[1]
def parse(path):
    rows = {}
    for line in open(os.path.join(out, path)):
        m = re.match(r"(\S+)\s+(\S+)\s+median_best=(\S+) gap=(\S+) overhead_ms=(\S+)", line)
        if m: rows[(m[1], m[2])] = (float(m[3]), float(m[4]), float(m[5]))
    return rows
ours, optuna = parse("ours.txt"), parse("optuna.txt")
hist_ours = {}
for line in open(os.path.join(out, "ours_history.txt")):
    m = re.match(r"(\S+)\s+(\S+)\s+history=\d+ ms_per_suggestion=(\S+) cpu_ms=(\S+)", line)
    if m: hist_ours[(m[1], m[2])] = (float(m[3]), float(m[4]))
hist_optuna = {}
for line in open(os.path.join(out, "optuna_history.txt")):
    f, s, ms = line.split(); hist_optuna[(f, s)] = float(ms)
print(open(os.path.join(out, "ours.txt")).readline().strip())
print(open(os.path.join(out, "optuna.txt")).readline().strip())
print()
print("median gap to the optimum after the trials (lower is better); ms = time per suggestion")
print("| objective | rltune random | rltune bayesian | rltune tpe | Optuna random | Optuna TPE | Optuna TPE multivariate | bayesian / best Optuna | target |")
print("|---|---|---|---|---|---|---|---|---|")
for fn in ["branin", "hartmann6", "ppo_surrogate"]:
    if (fn, "bayesian") not in ours: continue
    o = {s: optuna.get((fn, s)) for s in ["random", "tpe", "tpe-multivariate"]}
    best = min(v[1] for k, v in o.items() if v and k != "random")
    ratio = ours[(fn, "bayesian")][1] / best
    cell = lambda v: f"{v[1]:.4f} ({v[2]:.2f} ms)" if v else "-"
    print(f"| {fn} | {cell(ours.get((fn,'random')))} | {cell(ours[(fn,'bayesian')])} | {cell(ours.get((fn,'tpe')))} | {cell(o['random'])} | {cell(o['tpe'])} | {cell(o['tpe-multivariate'])} | {ratio:.3f} | <= 0.7 {'met' if ratio <= 0.7 else 'NOT met'} |")
print()
print("time per suggestion with history (median of the suggestions; rltune also CPU time)")
print("| objective | rltune bayesian wall / cpu ms | rltune tpe wall ms | Optuna TPE ms | Optuna TPE multivariate ms | bayesian wall / Optuna TPE mv |")
print("|---|---|---|---|---|---|")
for fn in ["branin", "hartmann6", "ppo_surrogate"]:
    b, t = hist_ours.get((fn, "bayesian")), hist_ours.get((fn, "tpe"))
    ot, om = hist_optuna.get((fn, "tpe")), hist_optuna.get((fn, "tpe-multivariate"))
    if not (b and t and ot and om): continue
    print(f"| {fn} | {b[0]:.2f} / {b[1]:.2f} | {t[0]:.2f} | {ot:.2f} | {om:.2f} | {b[0]/om:.3f} |")
PY
