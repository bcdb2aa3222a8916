#!/usr/bin/env python3
# Usage: python3 scripts/bench/fisher_numpy.py [REPEATS] — per-group Fisher of the Adult MLP on adult_train, numpy squared-GEMM.
"""Per-group diagonal empirical Fisher with the identity
Σ_n (∂ℓ_n/∂W)² = (X∘X)ᵀ(Δ∘Δ): one forward, one backward of deltas, two GEMMs
per layer per batch. Prints rows/s (best of REPEATS) and saves the result to
/tmp/fisher_numpy.npz for the JAX script to compare against."""
import os
import sys

import numpy as np

from adult_common import load_train, load_weights
from timing import best_of, per_group_fisher


def fisher(params, X, y, batch=4096):
    acc = [(np.zeros_like(k), np.zeros_like(b)) for k, b in params]
    for s in range(0, len(X), batch):
        x, t = X[s:s + batch], y[s:s + batch]
        acts, zs = [x], []
        for i, (k, b) in enumerate(params):
            z = acts[-1] @ k + b
            zs.append(z)
            acts.append(np.maximum(z, 0) if i < len(params) - 1 else z)
        d = (1 / (1 + np.exp(-zs[-1][:, 0])) - t)[:, None]  # ∂BCE/∂logit
        for i in range(len(params) - 1, -1, -1):
            k, _ = params[i]
            a = acts[i]
            acc[i][0][...] += (a * a).T @ (d * d)
            acc[i][1][...] += (d * d).sum(0)
            if i > 0:
                d = (d @ k.T) * (zs[i - 1] > 0)
    return acc


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    X, y, g, names = load_train()
    params = load_weights()
    results = {}
    for batch in (256, 1024, 4096, 16384):
        best, cpu, result = best_of(reps, lambda: per_group_fisher(fisher, params, X, y, g, names, batch))
        results[batch] = (best, cpu, result)
        print(f"  batch {batch}: {best:.4f} s (cpu {cpu:.4f} s), {len(X) / best:,.0f} rows/s")
    batch, (best, cpu, result) = min(results.items(), key=lambda kv: kv[1][0])
    np.savez("/tmp/fisher_numpy.npz", **{f"{n}/{i}": v for n, vs in result.items() for i, v in enumerate(vs)})
    print(f"numpy squared-GEMM Fisher: {len(X)} rows, {best:.4f} s (cpu {cpu:.4f} s), {len(X) / best:,.0f} rows/s "
          f"(best batch {batch}, best of {reps}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')})")


if __name__ == "__main__":
    main()
