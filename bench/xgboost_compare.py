"""Trains xgboost on the exact matrices bench/xgboost_compare.ts exported and prints the
test log loss as JSON. Run by that script with Debian's python3 (python3-xgboost)."""
import json
import sys

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
p = meta["params"]
model = xgb.XGBClassifier(
    objective="multi:softprob",
    tree_method="hist",
    max_bin=255,
    n_estimators=p["nRounds"],
    learning_rate=p["learningRate"],
    max_depth=p["maxDepth"],
    min_child_weight=p["minChildWeight"],
    reg_lambda=p["l2"],
    subsample=p["rowSubsample"],
    colsample_bytree=p["colSubsample"],
    early_stopping_rounds=p["earlyStoppingRounds"],
    eval_metric="mlogloss",
    random_state=meta["seed"],
    n_jobs=2,
)
model.fit(xt, yt, eval_set=[(xv, yv)], verbose=False)
proba = model.predict_proba(xs)
loss = float(-np.mean(np.log(np.clip(proba[np.arange(len(ys)), ys], 1e-15, 1))))
print(json.dumps({"xgboost": xgb.__version__, "test_log_loss": loss, "best_iteration": int(model.best_iteration) + 1}))
