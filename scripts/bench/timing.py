"""Timing helpers shared by the Python reference benchmarks."""
import time


def best_of(reps, run):
    """Runs `run()` `reps` times; returns (fastest wall seconds, its CPU
    seconds, its result)."""
    best, cpu, result = float("inf"), 0.0, None
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu, result = wall, time.process_time() - c0, out
    return best, cpu, result


def pop_repeats(args, default=3):
    """Removes `--repeats N` from `args` (a list) and returns N."""
    if "--repeats" not in args:
        return default
    i = args.index("--repeats")
    reps = int(args[i + 1])
    del args[i:i + 2]
    return reps


def per_group_fisher(fisher, params, X, y, g, names, batch):
    """{group name: [each tensor's Fisher / group rows]} with `fisher(params,
    X, y, batch)` returning per-layer (kernel, bias) sums over the rows given."""
    out = {}
    for gi, name in enumerate(names):
        m = g == gi
        acc = fisher(params, X[m], y[m], batch)
        out[name] = [v / m.sum() for kb in acc for v in kb]
    return out
