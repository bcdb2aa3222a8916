"""The zoo models' reference timings: Keras 3 `predict` (JAX, CPU) and the
per-group Fisher by JAX `jit(vmap(grad))`, on each model's rows tiled to N.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python scripts/bench/zoo_keras.py [N] [OUT_DIR] [MODELS] [CHUNK]

MODELS is a comma-separated list of zoo files without extension (default: the
four dense models, `<name>_k3.keras`); a `_tf2` name loads its `.h5`. CHUNK
(default: all N rows in one call) splits the Fisher into jit calls of that many
rows, summed per group, for models whose activations for N rows at once would
not fit in memory. Writes OUT_DIR/<model>_bench.npz (the same N rows, for
`fairaudit bench --only --data … --model …`) and prints one line per model and
path: rows per second of wall-clock time and of process CPU time (every
thread's, as `fairaudit bench` reports its CPU column; on a loaded machine the
CPU figure is the one to compare). After a warm-up (which compiles), the
least CPU per run over 5 samples of at least 0.2 s of CPU each, as
`fairaudit bench` times its forward and Fisher.
"""
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax
import jax.numpy as jnp
import keras
import numpy as np

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
OUT = sys.argv[2] if len(sys.argv) > 2 else "/tmp/fairaudit-bench/zoo"
ZOO = os.path.join(os.path.dirname(__file__), "../../Tests/FairAuditTests/Resources/zoo")
MODELS = sys.argv[3].split(",") if len(sys.argv) > 3 else [f"{m}_k3" for m in ["residual_mlp", "wide_deep", "seq_dense", "merges"]]
CHUNK = int(sys.argv[4]) if len(sys.argv) > 4 else N
os.makedirs(OUT, exist_ok=True)


def best(f, samples=5, min_cpu=0.2):
    """(wall, cpu) seconds of one run of `f`: after a warm-up, the least CPU
    per run over `samples` samples, each running `f` again until at least
    `min_cpu` seconds of CPU have passed (at least once) — the rule of
    `fairaudit bench` (`Benchmark.perRun`), so a predict of a few milliseconds
    is timed over many runs."""
    f()
    per_run = []
    for _ in range(samples):
        runs, wall, cpu = 0, 0.0, 0.0
        while runs == 0 or cpu < min_cpu:
            t, c = time.perf_counter(), time.process_time()
            f()
            wall, cpu, runs = wall + time.perf_counter() - t, cpu + time.process_time() - c, runs + 1
        per_run.append((cpu / runs, wall / runs))
    cpu, wall = min(per_run)
    return wall, cpu


for stem in MODELS:
    model = keras.models.load_model(os.path.join(ZOO, stem + (".h5" if stem.endswith("_tf2") else ".keras")), compile=False)
    d = np.load(os.path.join(ZOO, f"{stem}_data.npz"))
    order = [i.name.split(":")[0] for i in model.inputs]
    reps = -(-N // len(d["label"]))
    xs = {k: np.concatenate([d[k]] * reps)[:N] for k in order}
    label = np.concatenate([d["label"]] * reps)[:N]
    group = np.concatenate([d["group"]] * reps)[:N]
    np.savez(os.path.join(OUT, f"{stem}_bench.npz"), **xs, label=label, group=np.array(["a", "b", "c"])[group])
    inputs = [xs[k] for k in order]
    t_predict = best(lambda: model.predict(inputs, batch_size=4096, verbose=0))

    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def loss(tv, x, y):
        out, _ = model.stateless_call(tv, ntv, [a[None] for a in x], training=False)
        p = out[0]
        if p.shape[0] == 1:
            return -(y * jnp.log(p[0]) + (1 - y) * jnp.log(1 - p[0]))
        return -jnp.log(p[y])

    @jax.jit
    def sq_sums(x, y, onehot):
        g = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(tv, x, y)
        return [jnp.einsum("n...,ng->g...", gi * gi, onehot) for gi in g]

    def fisher(x, y, onehot):  # chunks of CHUNK rows (the last one shorter compiles once, in the warm-up)
        sums = None
        for s in range(0, N, CHUNK):
            part = sq_sums([a[s:s + CHUNK] for a in x], y[s:s + CHUNK], onehot[s:s + CHUNK])
            sums = part if sums is None else [a + b for a, b in zip(sums, part)]
        count = onehot.sum(0)
        return [v / count.reshape((-1,) + (1,) * (v.ndim - 1)) for v in sums]

    onehot = jnp.asarray(np.eye(3, dtype="float32")[group])
    jx, jy = [jnp.asarray(a) for a in inputs], jnp.asarray(label)
    t_fisher = best(lambda: jax.block_until_ready(fisher(jx, jy, onehot)))
    print(f"{stem:16s} Keras predict (JAX): {N / t_predict[0]:12,.0f} rows/s wall {N / t_predict[1]:12,.0f} rows/s CPU   "
          f"JAX vmap(grad) Fisher: {N / t_fisher[0]:12,.0f} rows/s wall {N / t_fisher[1]:12,.0f} rows/s CPU")
