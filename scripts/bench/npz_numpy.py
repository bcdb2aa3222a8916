#!/usr/bin/env python3
# Usage: python3 scripts/bench/npz_numpy.py FILE.npz [FILE.npz …] [--repeats N] — MB/s of numpy.load reading every array.
"""numpy.load on each file, every array read (np.load(f)[name] for every
member: inflate + CRC check + copy into an array), the fastest of N runs.
MB = the arrays' nbytes / 1e6, as `fairaudit bench` counts them."""
import sys
import time

import numpy as np


def read_all(path):
    n = 0
    with np.load(path) as z:
        for name in z.files:
            n += z[name].nbytes
    return n


def main():
    args = sys.argv[1:]
    reps = 3
    if "--repeats" in args:
        i = args.index("--repeats")
        reps = int(args[i + 1])
        del args[i:i + 2]
    for path in args:
        best, cpu, nbytes = float("inf"), 0.0, 0
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            nbytes = read_all(path)
            if time.perf_counter() - t0 < best:
                best, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"numpy {np.__version__} load {path}: {nbytes / 1e6:.0f} MB in {best:.3f} s (cpu {cpu:.3f} s) = {nbytes / 1e6 / best:,.1f} MB/s")


if __name__ == "__main__":
    main()
