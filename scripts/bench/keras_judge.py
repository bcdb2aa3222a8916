#!/usr/bin/env python3
"""Judges model files the way a user would: Keras loads each file, predicts
the test rows, and fairlearn measures accuracy, demographic parity and
equalized odds difference.

    KERAS_BACKEND=jax python3 keras_judge.py TEST.csv.gz GROUP MODEL...

Prints one JSON line per model: {"model", "accuracy", "dp", "eo"}. The label is
`income`, else `professional` (the adult_transfer task); LABEL=col picks another.
"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np, pandas as pd, keras
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

test, group = pd.read_csv(sys.argv[1]), sys.argv[2]
label = os.environ.get("LABEL") or ("income" if "income" in test.columns else "professional")
features = [c for c in test.columns if c not in (label, "sex", "race")]
x, y, g = test[features].to_numpy("float32"), test[label].to_numpy(), test[group].to_numpy()
for path in sys.argv[3:]:
    model = keras.models.load_model(path, compile=False)
    p = model.predict(x, verbose=0, batch_size=4096)
    score = p[:, 1] if p.shape[1] > 1 else p[:, 0]
    pred = (score >= 0.5).astype(int)
    print(json.dumps({"model": path, "accuracy": float((pred == y).mean()),
                      "dp": float(demographic_parity_difference(y, pred, sensitive_features=g)),
                      "eo": float(equalized_odds_difference(y, pred, sensitive_features=g))}))
