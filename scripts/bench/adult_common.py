"""Shared loader for the Adult benchmarks: adult_train features/labels/groups
and the Adult MLP's weights from the Keras 3 .h5 (read with h5py)."""
import os

import h5py
import numpy as np
import pandas as pd

DATA = os.environ.get("ADULT_DIR", "/work/shared/data/adult")


def load_train(path=None):
    """(X float32 rows×80, y float32, group int, group names) of adult_train, groups = sex."""
    df = pd.read_csv(path or os.path.join(DATA, "adult_train.csv.gz"))
    feats = [c for c in df.columns if c not in ("income", "sex", "race")]
    X = df[feats].to_numpy(np.float32)
    y = df["income"].to_numpy(np.float32)
    names, g = np.unique(df["sex"].to_numpy(), return_inverse=True)
    return X, y, g, list(names)


def load_weights(path=None):
    """[(kernel in×out, bias)] of the three Dense layers, in order."""
    f = h5py.File(path or os.path.join(DATA, "adult_mlp.h5"), "r")
    w = f["model_weights"]
    out = []
    for layer in ("dense", "dense_1", "head"):
        grp = w[layer]["sequential"][layer]
        out.append((grp["kernel"][()].astype(np.float32), grp["bias"][()].astype(np.float32)))
    return out
