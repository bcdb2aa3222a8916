#!/usr/bin/env python3
"""fairlearn 0.15 MetricFrame on the same kind of synthetic rows as
fairness_bench_main.swift (uniform scores, 25% positives, 5 groups): the four
per-group metrics, difference and ratio, and its percentile bootstrap
(MetricFrame n_boot, same resampling of rows with replacement).
Usage: fairlearn_bench.py [ROWS] [N_BOOT]; the time for 200 resamples is
extrapolated linearly from N_BOOT (default 5) when N_BOOT < 200."""
import sys
import time
import warnings

import numpy as np
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import accuracy_score

warnings.filterwarnings("ignore")
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
nb = int(sys.argv[2]) if len(sys.argv) > 2 else 5
rng = np.random.default_rng(1)
s = rng.random(n)
y = (rng.random(n) < 0.25).astype(int)
g = rng.integers(0, 5, n).astype(str)
p = (s >= 0.5).astype(int)
fns = {"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate, "acc": accuracy_score}
t = time.time()
mf = MetricFrame(metrics=fns, y_true=y, y_pred=p, sensitive_features=g)
mf.difference(); mf.ratio()
base = time.time() - t
t = time.time()
mf = MetricFrame(metrics=fns, y_true=y, y_pred=p, sensitive_features=g, n_boot=nb, ci_quantiles=[0.025, 0.975],
                 random_state=0)
mf.difference_ci(); mf.ratio_ci()
boot = time.time() - t
print(f"fairlearn: {n} rows, metrics {base:.2f} s; {nb} resamples {boot:.2f} s "
      f"-> 200 resamples ~{boot / nb * 200:.0f} s")
