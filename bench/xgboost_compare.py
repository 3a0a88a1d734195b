"""Trains xgboost on the exact matrices bench/xgboost_compare.ts exported, once per seed,
and prints each seed's test log loss, kept rounds and seconds as JSON. Run by that script
with Debian's python3 (python3-xgboost); the matrices are loaded once for every seed."""
import json
import sys
import time

import numpy as np
import xgboost as xgb

folder = sys.argv[1]
meta = json.load(open(f"{folder}/meta.json"))
f = meta["nFeatures"]


def load(name):
    x = np.fromfile(f"{folder}/{name}_x.f32", dtype=np.float32).reshape(-1, f)
    y = np.fromfile(f"{folder}/{name}_y.u8", dtype=np.uint8)
    return x, y


(xt, yt), (xv, yv), (xs, ys) = load("train"), load("validation"), load("test")
train = xgb.DMatrix(xt, label=yt)
valid = xgb.DMatrix(xv, label=yv)
test = xgb.DMatrix(xs)
p = meta["params"]
runs = []
for seed in meta["seeds"]:
    params = {
        "objective": "multi:softprob",
        "num_class": 3,
        "tree_method": "hist",
        "max_bin": 255,
        "eta": p["learningRate"],
        "max_depth": p["maxDepth"],
        "min_child_weight": p["minChildWeight"],
        "lambda": p["l2"],
        "subsample": p["rowSubsample"],
        "colsample_bytree": p["colSubsample"],
        "eval_metric": "mlogloss",
        "seed": seed,
        "nthread": 2,
    }
    started = time.perf_counter()
    booster = xgb.train(
        params,
        train,
        num_boost_round=p["nRounds"],
        evals=[(valid, "valid")],
        early_stopping_rounds=p["earlyStoppingRounds"],
        verbose_eval=False,
    )
    seconds = time.perf_counter() - started
    proba = booster.predict(test, iteration_range=(0, booster.best_iteration + 1))
    loss = float(-np.mean(np.log(np.clip(proba[np.arange(len(ys)), ys], 1e-15, 1))))
    runs.append({
        "seed": seed,
        "test_log_loss": loss,
        "best_iteration": int(booster.best_iteration) + 1,
        "seconds": seconds,
    })
print(json.dumps({"xgboost": xgb.__version__, "runs": runs}))
