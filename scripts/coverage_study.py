#!/usr/bin/env python3
"""Coverage of the 95% percentile intervals of the fairness gaps under the row
bootstrap (n rows drawn with replacement) and the Poisson bootstrap (each row
weighted Poisson(1)), on the Adult test split scored by the bundled model.

The 15,060 scored rows stand for the population, whose gaps are the truth.
Each trial draws a sample of n rows from it, computes both intervals with B
replicates, and records whether each holds the population's gap. Prints the
coverage and mean width per metric and sample size.

    /work/venvs/k3/bin/python scripts/coverage_study.py [trials]
"""
import csv
import sys

import numpy as np

rows = list(csv.DictReader(open("Tests/AuditFairnessTests/Resources/adult_test_scores.csv")))
score = np.array([float(r["score"]) for r in rows])
y = np.array([int(float(r["label"])) for r in rows])
g = np.array([0 if r["sex"] == "Female" else 1 for r in rows])
yhat = (score >= 0.5).astype(int)
code = 4 * g + 2 * y + yhat  # the audit's cell code


def gaps(cells):
    """cells: (..., 8) counts per (group, y, ŷ) → DPD and EOD over the two groups."""
    c = cells.reshape(cells.shape[:-1] + (2, 4)).astype(float)
    tn, fp, fn, tp = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        sr = (tp + fp) / (tn + fp + fn + tp)
        tpr = np.where(tp + fn > 0, tp / (tp + fn), 0)
        fpr = np.where(fp + tn > 0, fp / (fp + tn), 0)
    dpd = np.abs(sr[..., 0] - sr[..., 1])
    eod = np.maximum(np.abs(tpr[..., 0] - tpr[..., 1]), np.abs(fpr[..., 0] - fpr[..., 1]))
    return {"demographic_parity_difference": dpd, "equalized_odds_difference": eod}


truth = gaps(np.bincount(code, minlength=8))
trials = int(sys.argv[1]) if len(sys.argv) > 1 else 400
B = 200
rng = np.random.default_rng(0)
print(f"population: {len(rows)} rows; " + ", ".join(f"{k} = {float(v):.4f}" for k, v in truth.items()))
print(f"{trials} samples per size, B = {B}, 95% percentile intervals\n")
print("| n | metric | row bootstrap coverage | Poisson coverage | row mean width | Poisson mean width |")
print("|---:|---|---:|---:|---:|---:|")
for n in (1000, 5000, 15060):
    hit = {k: [0, 0] for k in truth}
    width = {k: [0.0, 0.0] for k in truth}
    for _ in range(trials):
        sample = code[rng.integers(0, len(code), n)]
        onehot = np.zeros((n, 8), dtype=np.int64)
        onehot[np.arange(n), sample] = 1
        # Row bootstrap: n draws with replacement → counts of each row.
        row_w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(B)])
        pois_w = rng.poisson(1.0, size=(B, n))
        for s, w in enumerate((row_w, pois_w)):
            reps = gaps(w @ onehot)
            for k in truth:
                lo, hi = np.nanquantile(reps[k], [0.025, 0.975])
                hit[k][s] += lo <= truth[k] <= hi
                width[k][s] += (hi - lo) / trials
    for k in truth:
        print(f"| {n} | {k} | {hit[k][0] / trials:.3f} | {hit[k][1] / trials:.3f} | {width[k][0]:.4f} | {width[k][1]:.4f} |")
