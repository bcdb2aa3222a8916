#!/usr/bin/env python3
# Usage: python3 scripts/bench/fisher_jax.py [REPEATS] — per-group Fisher of the Adult MLP on adult_train with JAX vmap(grad) (CPU).
"""Per-sample gradients by jax.vmap(jax.grad(loss)), squared and summed per
group inside one jit. Tries several batch sizes and reports the fastest
(compile time excluded); checks the result against fisher_numpy.py's output
when /tmp/fisher_numpy.npz exists."""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax
import jax.numpy as jnp
import numpy as np

from adult_common import load_train, load_weights
from timing import best_of, per_group_fisher


def loss(params, x, y):
    h = x
    for i, (k, b) in enumerate(params):
        h = h @ k + b
        if i < len(params) - 1:
            h = jax.nn.relu(h)
    z = h[0]
    return jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z)))  # BCE on the logit


@jax.jit
def sq_grad_sum(params, x, y):
    per = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, x, y)
    return jax.tree_util.tree_map(lambda v: jnp.sum(v * v, axis=0), per)


def fisher(params, X, y, batch):
    acc = None
    for s in range(0, len(X), batch):  # the last, shorter batch compiles once in the warm-up run
        part = sq_grad_sum(params, X[s:s + batch], y[s:s + batch])
        acc = part if acc is None else jax.tree_util.tree_map(jnp.add, acc, part)
    return jax.tree_util.tree_map(lambda v: np.asarray(v), acc)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    X, y, g, names = load_train()
    params = [(jnp.asarray(k), jnp.asarray(b)) for k, b in load_weights()]
    results = {}
    for batch in (256, 1024, 4096, 16384):
        for gi in range(len(names)):  # warm-up: compiles every batch shape
            m = g == gi
            fisher(params, X[m], y[m], batch)
        best, cpu, out = best_of(reps, lambda: per_group_fisher(fisher, params, X, y, g, names, batch))
        results[batch] = (best, cpu, out)
        print(f"  batch {batch}: {best:.3f} s (cpu {cpu:.3f} s), {len(X) / best:,.0f} rows/s")
    batch, (best, cpu, out) = min(results.items(), key=lambda kv: kv[1][0])
    if os.path.exists("/tmp/fisher_numpy.npz"):
        ref = np.load("/tmp/fisher_numpy.npz")
        err = max(float(np.max(np.abs(v - ref[f"{n}/{i}"]) / (np.abs(ref[f"{n}/{i}"]) + 1e-12)))
                  for n, vs in out.items() for i, v in enumerate(vs))
        print(f"  max relative difference to numpy squared-GEMM: {err:.2e}")
    print(f"JAX {jax.__version__} vmap(grad) Fisher: {len(X)} rows, {best:.4f} s (cpu {cpu:.4f} s), {len(X) / best:,.0f} rows/s "
          f"(best batch {batch}, best of {reps})")


if __name__ == "__main__":
    main()
