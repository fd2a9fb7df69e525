#!/usr/bin/python3
"""The Branin function (a standard public optimisation benchmark, minimum 0.397887) as an
external trainer for RlTune's tests:  branin.py CONFIG_JSON RUN_DIR  writes RUN_DIR/metrics.json
as {"value": f(x1, x2)}, reading x1 and x2 from the trial config's flat "params"."""
import json, math, os, sys

cfg = json.load(open(sys.argv[1]))
p = cfg["params"]
x1, x2 = float(p["x1"]), float(p["x2"])
b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
value = (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
os.makedirs(sys.argv[2], exist_ok=True)
with open(os.path.join(sys.argv[2], "metrics.json"), "w") as f:
    json.dump({"value": value}, f)
